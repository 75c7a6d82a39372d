namespace EcoAid.Wechat.Sandbox; internal static class Placeholder {}
