"""Shaanxi province (陕西): its cities and a selection of their districts and counties.

Each city's code is its pinyin; a county's code is the city's code and its own pinyin.
"""

PROVINCE = ("shaanxi", "陕西省", "Shaanxi")

# city code, Chinese name, English name, MSISDN share of the province, counties (code, 中文, English)
CITIES: list[tuple[str, str, str, float, list[tuple[str, str, str]]]] = [
    (
        "xian",
        "西安市",
        "Xi'an",
        0.34,
        [
            ("xincheng", "新城区", "Xincheng"),
            ("beilin", "碑林区", "Beilin"),
            ("lianhu", "莲湖区", "Lianhu"),
            ("yanta", "雁塔区", "Yanta"),
            ("weiyang", "未央区", "Weiyang"),
            ("changan", "长安区", "Chang'an"),
            ("lintong", "临潼区", "Lintong"),
            ("zhouzhi", "周至县", "Zhouzhi"),
        ],
    ),
    (
        "baoji",
        "宝鸡市",
        "Baoji",
        0.10,
        [
            ("weibin", "渭滨区", "Weibin"),
            ("jintai", "金台区", "Jintai"),
            ("chencang", "陈仓区", "Chencang"),
            ("fengxiang", "凤翔区", "Fengxiang"),
            ("qishan", "岐山县", "Qishan"),
            ("meixian", "眉县", "Mei County"),
        ],
    ),
    (
        "xianyang",
        "咸阳市",
        "Xianyang",
        0.11,
        [
            ("qindu", "秦都区", "Qindu"),
            ("weicheng", "渭城区", "Weicheng"),
            ("xingping", "兴平市", "Xingping"),
            ("sanyuan", "三原县", "Sanyuan"),
            ("jingyang", "泾阳县", "Jingyang"),
        ],
    ),
    (
        "tongchuan",
        "铜川市",
        "Tongchuan",
        0.02,
        [
            ("wangyi", "王益区", "Wangyi"),
            ("yintai", "印台区", "Yintai"),
            ("yaozhou", "耀州区", "Yaozhou"),
            ("yijun", "宜君县", "Yijun"),
        ],
    ),
    (
        "weinan",
        "渭南市",
        "Weinan",
        0.12,
        [
            ("linwei", "临渭区", "Linwei"),
            ("huazhou", "华州区", "Huazhou"),
            ("hancheng", "韩城市", "Hancheng"),
            ("pucheng", "蒲城县", "Pucheng"),
            ("fuping", "富平县", "Fuping"),
        ],
    ),
    (
        "yanan",
        "延安市",
        "Yan'an",
        0.06,
        [
            ("baota", "宝塔区", "Baota"),
            ("ansai", "安塞区", "Ansai"),
            ("yanchang", "延长县", "Yanchang"),
            ("huangling", "黄陵县", "Huangling"),
        ],
    ),
    (
        "hanzhong",
        "汉中市",
        "Hanzhong",
        0.08,
        [
            ("hantai", "汉台区", "Hantai"),
            ("nanzheng", "南郑区", "Nanzheng"),
            ("chenggu", "城固县", "Chenggu"),
            ("mianxian", "勉县", "Mian County"),
        ],
    ),
    (
        "yulin",
        "榆林市",
        "Yulin",
        0.08,
        [
            ("yuyang", "榆阳区", "Yuyang"),
            ("hengshan", "横山区", "Hengshan"),
            ("shenmu", "神木市", "Shenmu"),
            ("fugu", "府谷县", "Fugu"),
        ],
    ),
    (
        "ankang",
        "安康市",
        "Ankang",
        0.05,
        [
            ("hanbin", "汉滨区", "Hanbin"),
            ("xunyang", "旬阳市", "Xunyang"),
            ("pingli", "平利县", "Pingli"),
        ],
    ),
    (
        "shangluo",
        "商洛市",
        "Shangluo",
        0.04,
        [
            ("shangzhou", "商州区", "Shangzhou"),
            ("luonan", "洛南县", "Luonan"),
            ("shanyang", "山阳县", "Shanyang"),
        ],
    ),
]

# code, name, brand, monthly fee in fen
PRICE_PLANS = [
    ("gotone-88", "全球通 88 元套餐", "gotone", 8800),
    ("gotone-128", "全球通 128 元套餐", "gotone", 12800),
    ("gotone-188", "全球通 188 元套餐", "gotone", 18800),
    ("gotone-288", "全球通 288 元套餐", "gotone", 28800),
    ("gotone-588", "全球通 588 元尊享套餐", "gotone", 58800),
    ("mzone-18", "动感地带 18 元校园套餐", "mzone", 1800),
    ("mzone-38", "动感地带 38 元音乐套餐", "mzone", 3800),
    ("mzone-58", "动感地带 58 元流量套餐", "mzone", 5800),
    ("easyown-8", "神州行 8 元畅听卡", "easyown", 800),
    ("easyown-19", "神州行 19 元家园卡", "easyown", 1900),
    ("easyown-29", "神州行 29 元大众卡", "easyown", 2900),
]


def county_code(city: str, county: str) -> str:
    return f"{city}-{county}"
