namespace EcoAid.Wechat; internal static class Placeholder {}
