"""Source table of taxonomy v2026.1, expanded into `v2026.1.json` by `build.py`.

Modules follow Yuelu's five (综治安全, 城市管理, 党建群团, 经济管理, 社会事务), plus 生态环境 and Putuo's sea
grids (海洋渔业). City-management classes follow CJ/T 214 (部件 / 事件). Codes are assigned by position, so
rows are only ever appended; a changed row means a new version file.

Item row: (name, authority, priority, pace). Authority "c:community s:enforcement d:urban_management" maps
c/s/d (community/street/district) to a function key. Pace: quick = 4 working hours, std = 7 working days,
complex = 20 working days, h4 / h24 = natural hours for urgent matters (see build.py).
"""

from shared.taxonomy.source.city import CITY_MANAGEMENT
from shared.taxonomy.source.environment import ENVIRONMENT, SEA
from shared.taxonomy.source.governance import PARTY, SAFETY
from shared.taxonomy.source.shorthand import Klass, Module, Row, Subclass
from shared.taxonomy.source.society import ECONOMY, SOCIAL_AFFAIRS

__all__ = ["HOTLINE", "MODULES", "Klass", "Module", "Row", "Subclass"]

MODULES: list[Module] = [SAFETY, CITY_MANAGEMENT, PARTY, ECONOMY, SOCIAL_AFFAIRS, ENVIRONMENT, SEA]

# 12345 hotline category → item name (resolved to a code by build.py).
HOTLINE: dict[str, str] = {
    "城市管理-占道经营": "占道经营",
    "城市管理-乱堆物料": "乱堆物料",
    "城市管理-暴露垃圾": "暴露垃圾",
    "城市管理-违章建筑": "违章建筑",
    "城市管理-户外广告": "违规户外广告",
    "城市管理-小广告": "非法小广告",
    "城市管理-路灯": "路灯",
    "城市管理-渣土遗撒": "道路遗撒",
    "城市管理-共享单车": "非机动车乱停放",
    "城市管理-餐饮油烟": "餐饮油烟",
    "城市管理-井盖": "污水井盖",
    "环境保护-噪音扰民": "社会生活噪声",
    "环境保护-施工噪音": "施工扰民",
    "环境保护-大气污染": "企业废气排放",
    "环境保护-水污染": "企业偷排废水",
    "环境保护-焚烧": "焚烧垃圾树叶",
    "社会治安-邻里纠纷": "邻里纠纷",
    "社会治安-家庭纠纷": "婚姻家庭纠纷",
    "社会治安-治安隐患": "盗窃隐患",
    "社会治安-群租房": "群租房",
    "社会治安-电信诈骗": "电信诈骗线索",
    "安全生产-燃气": "燃气泄漏",
    "安全生产-消防隐患": "消防通道堵塞",
    "安全生产-电动车充电": "电动车违规充电",
    "安全生产-危化品": "危化品违规储存",
    "安全生产-企业安全": "企业安全生产隐患",
    "劳动保障-拖欠工资": "拖欠工资",
    "劳动保障-社会保险": "社保缴纳",
    "市场监管-食品安全": "食品安全",
    "市场监管-无照经营": "无照经营",
    "市场监管-价格": "价格违法",
    "市场监管-消费纠纷": "消费纠纷",
    "市场监管-电梯": "电梯故障",
    "住房建设-物业管理": "物业服务质量",
    "住房建设-物业纠纷": "物业纠纷",
    "住房建设-房屋安全": "危房",
    "公用事业-停水": "停水",
    "公用事业-停电": "停电",
    "公用事业-燃气供应": "燃气供应中断",
    "交通运输-公交": "公交线路",
    "交通运输-乱停车": "机动车乱停放",
    "卫生健康-医疗服务": "医疗服务投诉",
    "卫生健康-病媒生物": "病媒生物",
    "民政服务-低保": "低保申请",
    "民政服务-养老服务": "居家养老",
    "教育-校外培训": "校外培训机构",
    "农业农村-土地纠纷": "土地纠纷",
    "海洋渔业-非法捕捞": "非法捕捞",
    "海洋渔业-渔船安全": "渔船安全设备缺失",
    "海洋渔业-海上污染": "船舶油污",
}
