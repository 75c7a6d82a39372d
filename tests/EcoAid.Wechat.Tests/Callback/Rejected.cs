using EcoAid.Wechat.Callback;

namespace EcoAid.Wechat.Tests.Callback;

static class Rejected
{
    public static WechatCallbackException With(WechatCallbackError expected, Action action)
    {
        var exception = Assert.Throws<WechatCallbackException>(action);
        Assert.Equal(expected, exception.Error);
        return exception;
    }
}
