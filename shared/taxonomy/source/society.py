"""Source rows for 经济管理 and 社会事务 (Yuelu's fourth and fifth modules)."""

from shared.taxonomy.source.shorthand import CARE, HOUSING_C, MARKET, Module

# fmt: off
ECONOMY: Module = ("经济管理", [
    ("市场监管", "event", [
        ("食品药品", [
            ("食品安全", MARKET, "high", "quick"),
            ("无证食品摊贩", MARKET, "normal", "quick"),
            ("过期食品", MARKET, "normal", "quick"),
            ("药品安全", "d:market_regulation", "high", "std"),
        ]),
        ("经营秩序", [
            ("无照经营", MARKET, "normal", "std"),
            ("价格违法", MARKET, "normal", "std"),
            ("消费纠纷", MARKET, "normal", "std"),
            ("虚假宣传", "d:market_regulation", "normal", "complex"),
            ("商品质量", MARKET, "normal", "std"),
        ]),
        ("特种设备", [
            ("电梯困人", "d:market_regulation", "urgent", "h4"),
            ("电梯故障", MARKET, "high", "quick"),
            ("锅炉压力容器隐患", "d:market_regulation", "high", "std"),
        ]),
    ]),
    ("劳动保障", "event", [
        ("劳动关系", [
            ("拖欠工资", "s:governance d:human_resources", "high", "std"),
            ("劳动合同", "d:human_resources", "normal", "std"),
            ("社保缴纳", "s:services d:human_resources", "normal", "std"),
        ]),
        ("就业服务", [
            ("就业援助", "c:community s:services d:human_resources", "low", "std"),
            ("技能培训咨询", "c:community s:services d:human_resources", "low", "std"),
            ("灵活就业登记", "c:community s:services d:human_resources", "low", "std"),
        ]),
    ]),
    ("企业与园区服务", "event", [
        ("企业诉求", [
            ("园区企业诉求", "s:park_office d:center", "normal", "std"),
            ("园区基础设施", "s:park_office d:housing", "normal", "std"),
            ("营商环境投诉", "d:center", "normal", "complex"),
            ("企业用工需求", "s:services d:human_resources", "low", "std"),
        ]),
    ]),
    ("农村经济", "event", [
        ("集体经济与农地", [
            ("村集体三资管理", "c:community s:governance d:center", "normal", "complex"),
            ("土地承包经营", "c:community s:governance d:natural_resources", "normal", "complex"),
            ("违法占用耕地", "s:enforcement d:natural_resources", "high", "std"),
            ("农资质量", MARKET, "normal", "std"),
        ]),
    ]),
])

SOCIAL_AFFAIRS: Module = ("社会事务", [
    ("民生服务", "event", [
        ("水电气", [
            ("停水", "s:services d:water", "high", "h24"),
            ("水质问题", "d:water", "high", "quick"),
            ("停电", "s:services d:center", "high", "h24"),
            ("燃气供应中断", "s:services d:housing", "high", "h24"),
            ("通信网络故障", "s:services d:center", "low", "std"),
        ]),
        ("物业服务", [
            ("物业服务质量", HOUSING_C, "normal", "std"),
            ("小区公共设施维修", HOUSING_C, "normal", "std"),
            ("维修资金使用", HOUSING_C, "low", "complex"),
            ("小区停车", HOUSING_C, "low", "std"),
        ]),
        ("公共服务", [
            ("公交线路", "d:transport", "low", "complex"),
            ("出租车服务", "d:transport", "low", "std"),
            ("无障碍设施", "s:services d:civil_affairs", "low", "complex"),
        ]),
    ]),
    ("社会救助与养老", "event", [
        ("社会救助", [
            ("低保申请", CARE, "normal", "complex"),
            ("临时救助", CARE, "high", "quick"),
            ("特困供养", CARE, "normal", "complex"),
            ("流浪乞讨救助", "s:services d:civil_affairs", "high", "quick"),
        ]),
        ("养老服务", [
            ("居家养老", CARE, "low", "std"),
            ("高龄津贴", CARE, "low", "std"),
            ("养老机构投诉", "d:civil_affairs", "normal", "std"),
        ]),
    ]),
    ("卫生健康", "event", [
        ("公共卫生", [
            ("传染病疫情", "d:health", "urgent", "h4"),
            ("病媒生物", "c:community s:services d:health", "normal", "std"),
            ("非法行医", "d:health", "high", "std"),
            ("医疗服务投诉", "d:health", "normal", "std"),
        ]),
        ("健康服务", [
            ("家庭医生签约", "c:community s:services d:health", "low", "std"),
            ("疫苗接种咨询", "c:community s:services d:health", "low", "quick"),
        ]),
    ]),
    ("教育服务", "event", [
        ("教育", [
            ("入学咨询", "s:services d:education", "low", "std"),
            ("校外培训机构", "d:education", "normal", "std"),
            ("校园安全隐患", "d:education", "high", "quick"),
            ("教育收费", "d:education", "normal", "std"),
        ]),
    ]),
    ("人口与住房", "event", [
        ("人口服务", [
            ("户籍办理", "s:services d:police", "low", "std"),
            ("居住证办理", "c:community s:services d:police", "low", "std"),
            ("殡葬服务", CARE, "low", "std"),
        ]),
        ("住房保障", [
            ("公租房申请", HOUSING_C, "low", "complex"),
            ("房屋征收补偿", "s:governance d:housing", "normal", "complex"),
            ("不动产登记", "d:natural_resources", "low", "std"),
        ]),
    ]),
])
# fmt: on
