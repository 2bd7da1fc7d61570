namespace ClassExit.Portal.Data.Seed;

/// <summary>Realistic Chinese and English names for demo members.</summary>
internal static class DemoNames
{
    private static readonly string[] Surnames =
        ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
         "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
         "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
         "欧阳", "司马", "上官"];

    private static readonly string[] GivenChars =
        ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平",
         "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "建", "文", "宇", "浩", "晨", "欣", "怡", "梓", "涵", "子", "轩",
         "雨", "思", "佳", "嘉", "晓", "雪", "琳", "博", "然", "泽", "一", "诺", "昊", "天", "悦", "彤", "瑞", "俊", "婷", "凯"];

    private static readonly string[] EnglishFirst =
        ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Sophia", "Ethan", "Mia", "James", "Chloe", "Daniel", "Grace", "Henry",
         "Lily", "Jack", "Zoe", "Leo", "Ella", "Ryan", "Hannah", "Oscar", "Alice", "Samuel", "Ruby", "Adam", "Iris", "Felix"];

    private static readonly string[] EnglishLast =
        ["Smith", "Brown", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Clarke", "Walker", "Wright", "Hall",
         "Young", "King", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter"];

    public static string Next(Random random)
    {
        // About one member in twelve has an English name (exchange students, foreign staff).
        if (random.Next(12) == 0)
            return $"{EnglishFirst[random.Next(EnglishFirst.Length)]} {EnglishLast[random.Next(EnglishLast.Length)]}";
        var surname = Surnames[random.Next(Surnames.Length)];
        var given = GivenChars[random.Next(GivenChars.Length)];
        if (random.Next(3) != 0) given += GivenChars[random.Next(GivenChars.Length)];
        return surname + given;
    }
}
