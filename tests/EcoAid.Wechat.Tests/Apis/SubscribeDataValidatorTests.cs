namespace EcoAid.Wechat.Tests.Apis;

/// <summary>The client's check; <see cref="SubscribeMessageTests"/> runs the same tables against the sandbox's own rules.</summary>
public class SubscribeDataValidatorTests
{
    public static readonly TheoryData<string, string> Accepted = new()
    {
        { "thing1", "东门路灯坏了三天" },
        { "thing1", "一二三四五六七八九十一二三四五六七八九十" },
        { "thing2", "Lamp #3 (east gate)" },
        { "number1", "12345678901234567890123456789012" },
        { "number2", "99.50" },
        { "letter1", "ABCdef" },
        { "symbol1", "#%&*+" },
        { "symbol2", "，。！" },
        { "character_string1", "DEM-2025-0001" },
        { "character_string12", "a1b2c3-_#" },
        { "time1", "15:01" },
        { "time2", "2019年10月1日 15:01" },
        { "time3", "2025-03-01 09:30" },
        { "time4", "15:01~16:30" },
        { "time5", "2019年10月1日 15:01 ~ 2019年10月2日 9:00" },
        { "date1", "2019年10月1日" },
        { "date2", "2019年10月1日 15:01" },
        { "date3", "2025/3/1" },
        { "date4", "10月1日~10月7日" },
        { "date5", "2019年10月1日 15:01~16:00" },
        { "amount1", "¥99.00" },
        { "amount2", "100元" },
        { "amount3", "￥1234567890.5元" },
        { "phone_number1", "+86-0766-66888866" },
        { "phone_number2", "13800138000" },
        { "car_number1", "粤A8Z888挂" },
        { "car_number2", "苏C12345" },
        { "name1", "李红梅" },
        { "name2", "Li Hongmei" },
        { "name3", "欧阳娜娜Nana" },
        { "phrase1", "配送中" },
        { "phrase2", "已受理完毕" },
        { "enum1", "anything the template lists" },
        { "short_thing1", "a type we do not know yet" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void AcceptedValues(string key, string value) =>
        Assert.Null(SubscribeDataValidator.Validate(key, value));

    public static readonly TheoryData<string, string> Refused = new()
    {
        { "thing1", "一二三四五六七八九十一二三四五六七八九十一" },
        { "number1", "123456789012345678901234567890123" },
        { "number2", "12a" },
        { "number3", "1.2.3" },
        { "number4", "١٢٣" },
        { "letter1", "abc1" },
        { "letter2", "字母" },
        { "symbol1", "#%&*+-" },
        { "symbol2", "a#" },
        { "character_string1", "订单123" },
        { "character_string2", "has space" },
        { "character_string3", "123456789012345678901234567890123" },
        { "time1", "2019年10月1日" },
        { "time2", "25:00" },
        { "time3", "明天下午" },
        { "time4", "15:01\n" },
        { "date1", "15:01" },
        { "date2", "下周一" },
        { "amount1", "99.999" },
        { "amount2", "¥12345678901" },
        { "amount3", "九十九元" },
        { "phone_number1", "+86-0766-668888661" },
        { "phone_number2", "电话13800138000" },
        { "car_number1", "粤A8Z8889挂" },
        { "car_number2", "A粤8Z888" },
        { "name1", "诸葛孔明诸葛孔明诸葛孔" },
        { "name2", "Abcdefghijklmnopqrstu" },
        { "name3", "欧阳NanaNanaNa" },
        { "phrase1", "已经受理完毕" },
        { "phrase2", "OK" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedValues(string key, string value) =>
        Assert.NotNull(SubscribeDataValidator.Validate(key, value));

    [Fact]
    public void EmptyValueIsRefusedForEveryType()
    {
        var error = SubscribeDataValidator.Validate("enum3", "");

        Assert.Equal("data.enum3.value is empty", error!.Message);
    }

    [Fact]
    public void ErrorNamesTheKeyTheTypeAndTheRule()
    {
        var error = SubscribeDataValidator.Validate("thing7", new string('路', 21));

        Assert.Equal("thing7", error!.Key);
        Assert.Equal("thing", error.Type);
        Assert.Equal("data.thing7.value is longer than 20 characters (thing)", error.Message);
    }

    [Fact]
    public void LengthsCountCharactersAsReadersSeeThemNotBytes()
    {
        // 20 characters: emoji with a skin tone, a family joined by ZWJ, and an accented letter built from two code points.
        var twenty = "👍🏽👨‍👩‍👧e\u0301" + new string('路', 17);
        Assert.Equal(20, WechatText.Length(twenty));

        Assert.Null(SubscribeDataValidator.Validate("thing1", twenty));
        Assert.NotNull(SubscribeDataValidator.Validate("thing1", twenty + "路"));
    }

    [Fact]
    public void WholeDataListsEveryProblemInKeyOrder()
    {
        var errors = SubscribeDataValidator.Validate(new Dictionary<string, string>
        {
            ["time2"] = "soon",
            ["thing1"] = "fine",
            ["phrase3"] = "",
        });

        Assert.Equal(["phrase3", "time2"], errors.Select(e => e.Key));
    }

    [Theory]
    [InlineData("thing12", "thing")]
    [InlineData("character_string3", "character_string")]
    [InlineData("phone_number10", "phone_number")]
    [InlineData("enum", "enum")]
    public void TypeIsTheKeyWithoutTrailingDigits(string key, string type) =>
        Assert.Equal(type, SubscribeDataValidator.TypeOf(key));
}
