"""Word lists for the demo province: names, streets, ID-number area codes, services, contact topics.

Everything here is plain data; kefu.demo.generator draws from it with weights.
"""

from __future__ import annotations

# fmt: off
# China Mobile number segments (号段).
MSISDN_PREFIXES = (
    134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 178, 182, 183, 184, 187, 188, 198,
)

# The 100 most common surnames with their share in per cent, plus a few compound ones.
SURNAMES = (
    ("王", 7.25), ("李", 7.19), ("张", 6.79), ("刘", 5.38), ("陈", 4.53), ("杨", 3.08), ("黄", 2.23), ("赵", 2.29),
    ("吴", 2.05), ("周", 1.99), ("徐", 1.67), ("孙", 1.54), ("马", 1.46), ("朱", 1.26), ("胡", 1.22), ("郭", 1.17),
    ("何", 1.17), ("高", 1.14), ("林", 1.09), ("罗", 1.02), ("郑", 0.98), ("梁", 0.93), ("谢", 0.72), ("宋", 0.71),
    ("唐", 0.69), ("许", 0.68), ("韩", 0.66), ("冯", 0.63), ("邓", 0.62), ("曹", 0.61), ("彭", 0.58), ("曾", 0.56),
    ("肖", 0.54), ("田", 0.53), ("董", 0.53), ("袁", 0.53), ("潘", 0.49), ("于", 0.48), ("蒋", 0.47), ("蔡", 0.46),
    ("余", 0.45), ("杜", 0.45), ("叶", 0.44), ("程", 0.43), ("苏", 0.41), ("魏", 0.41), ("吕", 0.4), ("丁", 0.39),
    ("任", 0.38), ("沈", 0.38), ("姚", 0.37), ("卢", 0.36), ("姜", 0.35), ("崔", 0.34), ("钟", 0.33), ("谭", 0.32),
    ("陆", 0.31), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.29), ("廖", 0.28), ("贾", 0.28), ("夏", 0.27),
    ("韦", 0.26), ("付", 0.26), ("方", 0.25), ("白", 0.25), ("邹", 0.25), ("孟", 0.24), ("熊", 0.24), ("秦", 0.24),
    ("邱", 0.23), ("江", 0.23), ("尹", 0.22), ("薛", 0.22), ("闫", 0.21), ("段", 0.21), ("雷", 0.21), ("侯", 0.2),
    ("龙", 0.2), ("史", 0.2), ("陶", 0.19), ("黎", 0.19), ("贺", 0.19), ("顾", 0.18), ("毛", 0.18), ("郝", 0.18),
    ("龚", 0.18), ("邵", 0.18), ("万", 0.17), ("钱", 0.17), ("严", 0.17), ("武", 0.16), ("戴", 0.16), ("孔", 0.16),
    ("汤", 0.15), ("党", 0.15), ("欧阳", 0.05), ("司马", 0.01), ("上官", 0.01),
)

# Given names: one character, or a first character followed by one of the gendered characters.
GIVEN_FIRST = (
    "建", "志", "文", "晓", "子", "思", "雨", "嘉", "俊", "一", "浩", "梓", "欣", "佳", "雅", "明", "永", "海",
    "国", "春", "立", "红", "秀", "宏", "金", "德", "家", "天", "新", "博", "亚", "玉", "小", "少", "振", "学",
)
GIVEN_MALE = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波",
    "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "阳", "建", "亮", "成", "峰", "军", "毅",
    "刚", "锋", "博", "昊", "睿", "轩", "晨", "航", "东", "斌",
)
GIVEN_FEMALE = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "琳", "晶", "颖", "慧", "倩", "洁",
    "萍", "红", "梅", "丹", "莉", "兰", "欣", "月", "悦", "佳", "怡", "琪", "璐", "瑶", "婧", "媛", "蕾", "薇",
    "蓉", "妍", "茜", "楠", "萱", "涵",
)

# Street names: none contains 区, 县 or 旗, so address masking keeps exactly the district (PLT-2).
STREETS = (
    "人民", "解放", "建设", "长安", "中山", "胜利", "东风", "团结", "和平", "友谊", "文化", "朝阳", "光明",
    "幸福", "红旗", "新华", "工农", "迎宾", "滨河", "振兴", "育才", "健康", "青年", "北关", "南关", "东关",
    "西关", "凤鸣", "太白", "丰庆", "科技", "劳动", "环城", "朱雀", "含光", "未央", "凤城", "经开", "文景",
    "金花", "电子", "公园", "车站", "新民", "复兴", "兴华", "秦岭", "渭河", "汉江", "延河",
)
STREET_KINDS = (
    "路", "路", "路", "街", "大道", "巷",
)

# Resident ID area codes (行政区划代码) of the demo counties; others fall back to the city's code.
CITY_ID_CODES = {
    "xian": "6101", "tongchuan": "6102", "baoji": "6103", "xianyang": "6104", "weinan": "6105",
    "yanan": "6106", "hanzhong": "6107", "yulin": "6108", "ankang": "6109", "shangluo": "6110",
}
COUNTY_ID_CODES = {
    "xian-xincheng": "610102", "xian-beilin": "610103", "xian-lianhu": "610104", "xian-yanta": "610113",
    "xian-weiyang": "610112", "xian-changan": "610116", "xian-lintong": "610115", "xian-zhouzhi": "610124",
    "baoji-weibin": "610302", "baoji-jintai": "610303", "baoji-chencang": "610304", "baoji-fengxiang": "610305",
    "baoji-qishan": "610323", "baoji-meixian": "610326",
    "xianyang-qindu": "610402", "xianyang-weicheng": "610404", "xianyang-xingping": "610481",
    "xianyang-sanyuan": "610422", "xianyang-jingyang": "610423",
    "tongchuan-wangyi": "610202", "tongchuan-yintai": "610203", "tongchuan-yaozhou": "610204",
    "tongchuan-yijun": "610222",
    "weinan-linwei": "610502", "weinan-huazhou": "610503", "weinan-hancheng": "610581", "weinan-pucheng": "610526",
    "weinan-fuping": "610528",
    "yanan-baota": "610602", "yanan-ansai": "610603", "yanan-yanchang": "610621", "yanan-huangling": "610632",
    "hanzhong-hantai": "610702", "hanzhong-nanzheng": "610703", "hanzhong-chenggu": "610722",
    "hanzhong-mianxian": "610725",
    "yulin-yuyang": "610802", "yulin-hengshan": "610803", "yulin-shenmu": "610881", "yulin-fugu": "610822",
    "ankang-hanbin": "610902", "ankang-xunyang": "610981", "ankang-pingli": "610926",
    "shangluo-shangzhou": "611002", "shangluo-luonan": "611021", "shangluo-shanyang": "611024",
}

# Service catalogue: kind, code, name, SP code, monthly fee in fen, take-up by brand (GoTone, M-Zone, Easyown).
SERVICES = (
    ("basic", "caller_id", "来电显示", "", 0, (0.95, 0.9, 0.8)),
    ("basic", "call_waiting", "呼叫等待", "", 0, (0.45, 0.35, 0.25)),
    ("basic", "call_forwarding", "呼叫转移", "", 0, (0.25, 0.1, 0.1)),
    ("basic", "idd", "国际长途", "", 0, (0.3, 0.05, 0.03)),
    ("basic", "intl_roaming", "国际漫游", "", 0, (0.15, 0.03, 0.01)),
    ("vas", "ringback", "彩铃", "", 500, (0.45, 0.4, 0.2)),
    ("vas", "mobile_news", "手机报", "", 300, (0.2, 0.1, 0.08)),
    ("vas", "music_club", "无线音乐俱乐部", "", 600, (0.05, 0.3, 0.03)),
    ("vas", "mail139", "139邮箱", "", 500, (0.2, 0.05, 0.02)),
    ("vas", "secretary", "移动秘书", "", 300, (0.1, 0.02, 0.03)),
    ("vas", "fetion", "飞信", "", 0, (0.15, 0.35, 0.05)),
    ("vas", "phonebook", "号簿管家", "", 200, (0.15, 0.1, 0.03)),
    ("vas", "mobile_video", "手机视频", "", 1000, (0.05, 0.15, 0.01)),
    ("sp", "sp_weather", "天气预报", "801174", 200, (0.03, 0.04, 0.05)),
    ("sp", "sp_jokes", "每日笑话", "901077", 300, (0.01, 0.05, 0.03)),
    ("sp", "sp_games", "百宝箱游戏", "819283", 500, (0.01, 0.06, 0.02)),
    ("sp", "sp_english", "英语天天学", "918046", 600, (0.01, 0.03, 0.01)),
    ("sp", "sp_stocks", "股市快讯", "801502", 800, (0.04, 0.01, 0.01)),
    ("sp", "sp_reading", "手机阅读书城", "926018", 500, (0.02, 0.04, 0.02)),
    ("sp", "sp_health", "健康养生", "900913", 300, (0.02, 0.01, 0.03)),
)

# Payment channels (kefu.customers.models.Channel values) and their shares.
PAYMENT_CHANNELS = (
    ("web", 0.38), ("hall", 0.27), ("terminal", 0.15), ("boss", 0.2),
)

# Contacts: channel and share; topic (wrap-up code) and its summary; outcome and share.
CONTACT_CHANNELS = (
    ("hotline", 0.7), ("hall", 0.15), ("web", 0.1), ("sms", 0.05),
)
CONTACT_TOPICS = (
    ("bill_inquiry", "查询话费账单", 0.28),
    ("plan_change", "咨询套餐变更", 0.16),
    ("fee_complaint", "投诉扣费异常", 0.08),
    ("points", "积分查询与兑换", 0.1),
    ("suspend_resume", "办理停机保号", 0.06),
    ("sp_refund", "梦网业务退订退费", 0.08),
    ("network", "反映信号覆盖问题", 0.07),
    ("data_usage", "查询流量使用情况", 0.12),
    ("vip_service", "大客户服务预约", 0.05),
)
CONTACT_OUTCOMES = (
    ("resolved", 0.76), ("transferred", 0.08), ("callback", 0.06), ("work_order", 0.1),
)

# fmt: on
