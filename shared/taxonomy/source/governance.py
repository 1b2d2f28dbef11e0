"""Source rows for 综治安全 and 党建群团 (Yuelu's first and third modules)."""

from shared.taxonomy.source.shorthand import CARE, DISPUTE, POLICE_C, Module

# fmt: off
SAFETY: Module = ("综治安全", [
    ("矛盾纠纷", "event", [
        ("民间纠纷", [
            ("邻里纠纷", DISPUTE, "normal", "std"),
            ("婚姻家庭纠纷", DISPUTE, "normal", "std"),
            ("房屋宅基地纠纷", "c:community s:governance d:natural_resources", "normal", "complex"),
            ("损害赔偿纠纷", "c:community s:governance d:center", "normal", "std"),
            ("债务纠纷", "c:community s:governance d:center", "normal", "complex"),
        ]),
        ("行业性专业性纠纷", [
            ("劳资纠纷", "s:governance d:human_resources", "high", "std"),
            ("物业纠纷", "c:community s:governance d:housing", "normal", "std"),
            ("土地纠纷", "s:governance d:natural_resources", "normal", "complex"),
            ("医患纠纷", "s:governance d:health", "high", "complex"),
            ("交通事故纠纷", "s:governance d:police", "normal", "std"),
        ]),
        ("群体性矛盾", [
            ("群体性上访苗头", "s:governance d:center", "high", "h24"),
            ("征地拆迁矛盾", "s:governance d:natural_resources", "high", "complex"),
            ("涉众型经济纠纷", "s:governance d:police", "high", "complex"),
        ]),
    ]),
    ("治安隐患", "event", [
        ("治安防范", [
            ("可疑人员", POLICE_C, "high", "quick"),
            ("盗窃隐患", POLICE_C, "normal", "quick"),
            ("黄赌毒线索", "s:governance d:police", "high", "std"),
            ("电信诈骗线索", "d:police", "high", "quick"),
        ]),
        ("重点场所", [
            ("出租房屋治安隐患", POLICE_C, "normal", "std"),
            ("娱乐场所治安隐患", "s:governance d:police", "normal", "std"),
            ("寄递物流安全隐患", "s:governance d:police", "normal", "std"),
            ("校园周边治安隐患", "s:governance d:police", "high", "std"),
        ]),
        ("实有人口管理", [
            ("流动人口未登记", POLICE_C, "low", "std"),
            ("境外人员未登记", POLICE_C, "normal", "std"),
            ("群租房", "c:community s:enforcement d:housing", "normal", "std"),
        ]),
    ]),
    ("特殊人群服务", "event", [
        ("帮教管控", [
            ("社区矫正对象异常", "s:governance d:police", "high", "quick"),
            ("刑满释放人员帮教", POLICE_C, "normal", "std"),
            ("吸毒人员动态异常", POLICE_C, "high", "quick"),
        ]),
        ("关爱服务", [
            ("严重精神障碍患者肇事风险", "c:community s:governance d:health", "urgent", "h4"),
            ("留守儿童关爱", CARE, "normal", "std"),
            ("困境老人关爱", CARE, "normal", "std"),
            ("重点青少年帮扶", "c:community s:governance d:education", "normal", "std"),
        ]),
    ]),
    ("安全生产", "event", [
        ("燃气与危化品", [
            ("燃气泄漏", "d:emergency", "urgent", "h4"),
            ("瓶装燃气违规使用", "s:enforcement d:housing", "high", "quick"),
            ("危化品违规储存", "d:emergency", "high", "quick"),
            ("危化品运输隐患", "d:emergency", "high", "quick"),
            ("烟花爆竹违规储存销售", "s:enforcement d:emergency", "high", "quick"),
        ]),
        ("消防安全", [
            ("消防通道堵塞", "c:community s:enforcement d:fire", "high", "quick"),
            ("电动车违规充电", "c:community s:enforcement d:fire", "high", "quick"),
            ("消防设施缺失损坏", "s:enforcement d:fire", "normal", "std"),
            ("三合一场所", "s:enforcement d:fire", "high", "std"),
            ("火灾", "d:fire", "urgent", "h4"),
        ]),
        ("生产经营安全", [
            ("企业安全生产隐患", "s:enforcement d:emergency", "high", "std"),
            ("建筑施工安全隐患", "s:enforcement d:housing", "high", "quick"),
            ("有限空间作业隐患", "d:emergency", "high", "quick"),
            ("园区企业安全隐患", "s:park_office d:emergency", "high", "std"),
        ]),
    ]),
    ("信访与舆情", "event", [
        ("信访事项", [
            ("信访诉求", "c:community s:governance d:center", "normal", "complex"),
            ("重复信访", "s:governance d:center", "high", "complex"),
        ]),
        ("社会舆情", [
            ("涉稳舆情", "d:center", "high", "quick"),
            ("谣言线索", "d:police", "high", "quick"),
        ]),
    ]),
])

PARTY: Module = ("党建群团", [
    ("党建服务", "event", [
        ("党员服务", [
            ("党员组织关系转接", "c:community s:governance d:center", "low", "std"),
            ("困难党员帮扶", CARE, "low", "std"),
            ("流动党员管理", "c:community s:governance d:center", "low", "std"),
        ]),
        ("基层组织建设", [
            ("两委班子履职", "s:governance d:center", "normal", "complex"),
            ("村居务公开", "c:community s:governance d:civil_affairs", "normal", "std"),
            ("业主委员会组建", "c:community s:governance d:housing", "normal", "complex"),
        ]),
    ]),
    ("群团服务", "event", [
        ("工会与职工", [
            ("职工权益维护", "s:governance d:human_resources", "normal", "std"),
            ("困难职工帮扶", "c:community s:services d:human_resources", "low", "std"),
        ]),
        ("妇女儿童", [
            ("妇女权益维护", "c:community s:governance d:civil_affairs", "normal", "std"),
            ("家庭暴力", POLICE_C, "high", "quick"),
            ("未成年人保护", "c:community s:governance d:civil_affairs", "high", "quick"),
        ]),
        ("青年与残疾人", [
            ("青少年服务", "c:community s:services d:education", "low", "std"),
            ("残疾人帮扶", CARE, "low", "std"),
        ]),
    ]),
    ("社会组织与志愿服务", "event", [
        ("社会组织", [
            ("社会组织登记咨询", "s:services d:civil_affairs", "low", "std"),
            ("非法社会组织线索", "d:civil_affairs", "normal", "std"),
        ]),
        ("志愿服务", [
            ("志愿服务需求", CARE, "low", "std"),
            ("志愿者招募", CARE, "low", "std"),
        ]),
    ]),
])
# fmt: on
