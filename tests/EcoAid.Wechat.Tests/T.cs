namespace EcoAid.Wechat.Tests;
public class Smoke { [Fact] public void Builds() => Assert.Equal(2, 1 + 1); }
