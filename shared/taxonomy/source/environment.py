"""Source rows for 生态环境, and 海洋渔业 for Putuo's sea grids (海上枫桥)."""

from shared.taxonomy.source.shorthand import CITY, Module

# fmt: off
ENVIRONMENT: Module = ("生态环境", [
    ("大气污染", "event", [
        ("大气污染", [
            ("餐饮油烟", "s:enforcement d:environment", "normal", "std"),
            ("企业废气排放", "d:environment", "high", "std"),
            ("露天焚烧秸秆", "c:community s:enforcement d:environment", "normal", "quick"),
            ("异味扰民", "s:enforcement d:environment", "normal", "std"),
        ]),
    ]),
    ("水污染", "event", [
        ("水污染", [
            ("企业偷排废水", "d:environment", "high", "quick"),
            ("河道污染", "s:enforcement d:water", "normal", "std"),
            ("黑臭水体", "s:enforcement d:water", "normal", "complex"),
            ("生活污水直排", "c:community s:enforcement d:water", "normal", "std"),
        ]),
    ]),
    ("噪声污染", "event", [
        ("噪声扰民", [
            ("社会生活噪声", "c:community s:enforcement d:police", "normal", "quick"),
            ("工业噪声", "d:environment", "normal", "std"),
            ("交通噪声", "d:transport", "low", "complex"),
            ("商业经营噪声", CITY, "normal", "quick"),
        ]),
    ]),
    ("固废与土壤", "event", [
        ("固体废物", [
            ("危险废物", "d:environment", "high", "quick"),
            ("建筑垃圾乱倒", CITY, "normal", "quick"),
            ("工业固废倾倒", "d:environment", "high", "quick"),
            ("土壤污染", "d:environment", "normal", "complex"),
        ]),
    ]),
    ("自然资源保护", "event", [
        ("资源保护", [
            ("非法采砂", "s:enforcement d:water", "high", "quick"),
            ("毁林占地", "s:enforcement d:natural_resources", "high", "std"),
            ("野生动物保护", "d:natural_resources", "normal", "std"),
            ("违法占用河道", "s:enforcement d:water", "normal", "std"),
        ]),
    ]),
])

SEA: Module = ("海洋渔业", [
    ("渔船安全", "event", [
        ("渔船安全", [
            ("渔船遇险", "d:fisheries", "urgent", "h4"),
            ("渔船安全设备缺失", "d:fisheries", "high", "std"),
            ("渔船超员超载", "d:fisheries", "high", "quick"),
            ("渔船证书不全", "d:fisheries", "normal", "std"),
            ("船员落水", "d:maritime", "urgent", "h4"),
        ]),
        ("船员服务", [
            ("远洋船员心理服务", "c:community d:fisheries", "low", "std"),
            ("船员劳务纠纷", "s:governance d:fisheries", "normal", "std"),
            ("海上医疗救助", "d:health", "urgent", "h4"),
        ]),
    ]),
    ("海上污染", "event", [
        ("海洋环境", [
            ("船舶油污", "d:maritime", "high", "quick"),
            ("海上垃圾倾倒", "d:fisheries", "normal", "std"),
            ("赤潮", "d:fisheries", "high", "quick"),
            ("养殖污染", "d:fisheries", "normal", "std"),
        ]),
    ]),
    ("渔业生产秩序", "event", [
        ("渔业执法", [
            ("非法捕捞", "d:fisheries", "high", "quick"),
            ("禁渔期违规出海", "d:fisheries", "high", "quick"),
            ("涉渔三无船舶", "d:fisheries", "normal", "std"),
            ("渔港秩序", "s:enforcement d:fisheries", "normal", "std"),
        ]),
    ]),
    ("海上纠纷", "event", [
        ("海事渔事纠纷", [
            ("渔事纠纷", "s:governance d:fisheries", "normal", "std"),
            ("海上碰撞纠纷", "d:maritime", "normal", "complex"),
            ("养殖海域纠纷", "s:governance d:fisheries", "normal", "complex"),
        ]),
    ]),
    ("港口航道", "event", [
        ("港口航道", [
            ("航道障碍", "d:maritime", "high", "quick"),
            ("码头安全隐患", "d:transport", "high", "std"),
            ("船舶违规靠泊", "d:maritime", "normal", "std"),
        ]),
    ]),
])
# fmt: on
