"""Source rows for 城市管理, classes after CJ/T 214: 部件 (components) then 事件 (events)."""

from shared.taxonomy.source.shorthand import CITY, CITY_C, HOUSING_C, Module

# fmt: off
CITY_MANAGEMENT: Module = ("城市管理", [
    ("公用设施", "component", [
        ("井盖", [
            ("上水井盖", "s:enforcement d:water", "high", "quick"),
            ("污水井盖", "s:enforcement d:water", "high", "quick"),
            ("雨水井盖", "s:enforcement d:water", "high", "quick"),
            ("燃气井盖", "s:enforcement d:housing", "high", "quick"),
            ("电力井盖", CITY, "high", "quick"),
            ("通信井盖", CITY, "high", "quick"),
        ]),
        ("公用设施", [
            ("消防栓", "s:enforcement d:fire", "high", "quick"),
            ("路灯", CITY, "normal", "std"),
            ("景观灯", CITY, "low", "std"),
            ("电力设施", CITY, "normal", "std"),
            ("通信交接箱", CITY, "low", "std"),
            ("治安监控探头", "s:governance d:police", "normal", "std"),
        ]),
    ]),
    ("道路交通", "component", [
        ("交通设施", [
            ("交通信号灯", "d:police", "high", "quick"),
            ("交通标志牌", "d:transport", "normal", "std"),
            ("道路护栏", "s:enforcement d:transport", "normal", "std"),
            ("公交站亭", "d:transport", "normal", "std"),
            ("停车泊位", "s:enforcement d:police", "low", "std"),
        ]),
        ("道路桥梁", [
            ("人行道", "s:enforcement d:housing", "normal", "std"),
            ("车行道", "s:enforcement d:housing", "normal", "std"),
            ("过街天桥", "d:housing", "normal", "std"),
            ("盲道", "s:enforcement d:housing", "low", "std"),
            ("隔音屏", "d:transport", "low", "std"),
        ]),
    ]),
    ("市容环境设施", "component", [
        ("环卫设施", [
            ("垃圾箱", CITY_C, "normal", "quick"),
            ("公共厕所", CITY, "normal", "quick"),
            ("垃圾中转站", CITY, "normal", "std"),
            ("灯箱霓虹灯", CITY, "low", "std"),
        ]),
        ("标识设施", [
            ("街路巷牌", "s:services d:civil_affairs", "low", "std"),
            ("门牌", "c:community s:services d:civil_affairs", "low", "std"),
            ("报刊亭", CITY, "low", "std"),
        ]),
    ]),
    ("园林绿化", "component", [
        ("绿地", [
            ("行道树", CITY, "normal", "std"),
            ("绿地", CITY, "normal", "std"),
            ("花坛花钵", CITY, "low", "std"),
            ("护树设施", CITY, "low", "std"),
        ]),
        ("公园设施", [
            ("健身设施", "c:community s:services d:urban_management", "normal", "std"),
            ("雕塑", CITY, "low", "std"),
            ("古树名木", "s:enforcement d:natural_resources", "high", "std"),
        ]),
    ]),
    ("房屋土地", "component", [
        ("房屋", [
            ("危房", "s:enforcement d:housing", "high", "quick"),
            ("老旧小区设施", HOUSING_C, "normal", "std"),
            ("住宅电梯", "d:market_regulation", "high", "quick"),
        ]),
        ("土地与附属设施", [
            ("闲置土地", "d:natural_resources", "low", "complex"),
            ("人防设施", "d:housing", "normal", "std"),
            ("宣传栏", CITY_C, "low", "std"),
        ]),
    ]),
    ("市容环境", "event", [
        ("环境卫生", [
            ("暴露垃圾", CITY_C, "normal", "quick"),
            ("积存垃圾渣土", CITY_C, "normal", "quick"),
            ("道路不洁", CITY, "normal", "quick"),
            ("水域不洁", "s:enforcement d:water", "normal", "std"),
            ("绿地脏乱", CITY_C, "low", "quick"),
            ("垃圾分类不规范", CITY_C, "low", "std"),
        ]),
        ("占道与堆放", [
            ("占道经营", CITY, "normal", "quick"),
            ("店外经营", CITY, "normal", "quick"),
            ("乱堆物料", CITY_C, "normal", "quick"),
            ("废弃车辆", "s:enforcement d:police", "low", "std"),
            ("废弃家具", CITY_C, "low", "quick"),
            ("露天烧烤", CITY, "normal", "quick"),
            ("焚烧垃圾树叶", "s:enforcement d:environment", "normal", "quick"),
        ]),
    ]),
    ("宣传广告", "event", [
        ("广告招牌", [
            ("违规户外广告", CITY, "normal", "std"),
            ("非法小广告", CITY_C, "low", "quick"),
            ("违规悬挂横幅", CITY, "low", "quick"),
            ("广告牌安全隐患", CITY, "high", "quick"),
            ("街头散发广告", CITY, "low", "quick"),
        ]),
    ]),
    ("施工管理", "event", [
        ("施工现场", [
            ("施工扰民", "s:enforcement d:housing", "normal", "quick"),
            ("施工占道", CITY, "normal", "quick"),
            ("道路遗撒", CITY, "normal", "quick"),
            ("工地扬尘", "s:enforcement d:environment", "normal", "quick"),
            ("无证掘路", "s:enforcement d:housing", "normal", "std"),
        ]),
        ("违法建设", [
            ("违章建筑", CITY_C, "normal", "complex"),
            ("私搭乱建", CITY_C, "normal", "std"),
            ("违规装修", "c:community s:enforcement d:housing", "high", "quick"),
        ]),
    ]),
    ("街面秩序", "event", [
        ("街面秩序", [
            ("无照游商", CITY, "normal", "quick"),
            ("机动车乱停放", "s:enforcement d:police", "normal", "quick"),
            ("非机动车乱停放", CITY_C, "low", "quick"),
            ("非法营运", "d:transport", "normal", "std"),
            ("占道废品收购", CITY, "low", "quick"),
            ("街头乞讨卖艺", "s:services d:civil_affairs", "low", "quick"),
        ]),
    ]),
    ("突发事件", "event", [
        ("城市运行突发", [
            ("路面塌陷", "d:housing", "urgent", "h4"),
            ("自来水管爆裂", "d:water", "urgent", "h4"),
            ("道路积水", "s:enforcement d:water", "high", "h24"),
            ("架空线缆脱落", CITY, "high", "h24"),
            ("树木倒伏", CITY, "high", "h24"),
            ("路面结冰积雪", CITY, "high", "h24"),
        ]),
        ("公共安全突发", [
            ("群体性事件", "d:police", "urgent", "h4"),
            ("交通事故", "d:police", "urgent", "h4"),
            ("地质灾害险情", "d:natural_resources", "urgent", "h4"),
            ("防汛险情", "d:water", "urgent", "h4"),
            ("食物中毒", "d:health", "urgent", "h4"),
        ]),
    ]),
])
# fmt: on
