"""Names for the Putuo-like demo district (普陀区, 舟山): streets/towns, communities/villages, people."""

from __future__ import annotations

DISTRICT = ("330903", "普陀区")
CITY = ("3309", "舟山市")

# (street code suffix, name, kind, [(community suffix, name, class)]); 2xx suffixes are villages (村).
STREETS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("001", "沈家门街道", "street", (
        ("001", "滨港社区", "A"), ("002", "墩头社区", "A"), ("003", "泗湾社区", "B"), ("004", "鲁家峙社区", "B"),
        ("005", "半升洞社区", "C"), ("006", "夹港社区", "B"), ("007", "南岙社区", "C"), ("008", "新街社区", "A"),
    )),
    ("002", "东港街道", "street", (
        ("001", "东港社区", "B"), ("002", "塘头社区", "A"), ("003", "勾山社区", "B"), ("004", "海华社区", "A"),
        ("005", "莲洋社区", "C"), ("006", "碧海社区", "C"),
    )),
    ("003", "朱家尖街道", "street", (
        ("001", "顺母社区", "B"), ("002", "南沙社区", "C"), ("201", "樟州村", "C"), ("202", "大青山村", "C"),
    )),
    ("004", "展茅街道", "street", (
        ("001", "展茅社区", "B"), ("201", "黄杨尖村", "C"), ("202", "螺门村", "C"), ("203", "茅洋村", "C"),
    )),
    ("100", "六横镇", "town", (
        ("001", "峧头社区", "A"), ("002", "龙山社区", "B"), ("201", "双塘村", "C"), ("202", "台门村", "B"),
        ("203", "小湖村", "B"),
    )),
    ("101", "桃花镇", "town", (
        ("001", "桃花社区", "B"), ("201", "茅岙村", "C"), ("202", "塔湾村", "C"), ("203", "乌石村", "C"),
    )),
    ("102", "虾峙镇", "town", (
        ("001", "虾峙社区", "B"), ("201", "栲门村", "C"), ("202", "湖泥村", "C"), ("203", "河泥漕村", "C"),
    )),
    ("103", "东极镇", "town", (
        ("201", "庙子湖村", "B"), ("202", "青浜村", "C"), ("203", "东福山村", "C"),
    )),
    ("104", "普陀山镇", "town", (
        ("001", "普陀山社区", "A"), ("201", "龙沙村", "C"),
    )),
)

# Dedicated grids (专属网格): grid code → (kind, name, class).
DEDICATED: dict[str, tuple[str, str, str]] = {
    "330903001008002": ("market", "东河农贸市场专属网格", "A"),
    "330903002001004": ("school", "东港中学校园专属网格", "A"),
    "330903002002003": ("migrant_housing", "塘头外来务工人员集中居住区网格", "A"),
    "330903002004001": ("commercial_building", "海华商务楼宇专属网格", "B"),
    "330903100203001": ("park", "小郭巨工业园区专属网格", "A"),
}
# The Jianye-style grid: hundreds of floating residents whose records were never re-verified.
ANOMALY_GRID = "330903002002003"
PARK_STREET = "330903100"

# Sea grids (海上网格): fishing fleets attached to a community; membership is vessels, not area.
SEA_GRIDS: tuple[tuple[str, str], ...] = (
    ("330903001002901", "墩头渔业海上网格一"), ("330903001002902", "墩头渔业海上网格二"),
    ("330903001004901", "鲁家峙海上网格"), ("330903100001901", "六横海上网格"),
    ("330903102001901", "虾峙海上网格一"), ("330903102001902", "虾峙海上网格二"),
    ("330903103201901", "庙子湖海上网格"), ("330903103202901", "青浜海上网格"),
    ("330903101001901", "桃花海上网格"), ("330903003001901", "朱家尖海上网格"),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗虞乐应邬夏翁贺鲍孔钟俞傅史蒋沈韩叶方金"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国海波红梅志斌浩宇晨欣怡佳琪子涵雨轩"
# Birth places of floating residents: county codes python-stdnum accepts for births in BIRTH_YEARS.
MIGRANT_ORIGINS = ("410526", "430521", "412726", "362330", "452123", "422823", "510722")
BIRTH_YEARS = (1987, 1999)
MOBILE_PREFIXES = ("138", "139", "158", "159", "188", "136", "151", "187", "135", "177")

BUILDING_SUFFIXES = ("号楼", "幢", "号民房")
ENTERPRISE_NAMES = (
    "舟山普陀海洋水产有限公司", "普陀远洋渔业有限公司", "沈家门海鲜城经营部", "六横船舶修造有限公司",
    "东港物业服务有限公司", "桃花岛旅游开发有限公司", "普陀冷链物流有限公司", "朱家尖海景酒店有限公司",
)
SOCIAL_ORGANISATIONS = ("普陀区渔嫂协会", "沈家门调解志愿者协会", "东港社区养老服务中心")

# Components (部件): (major, minor, name, owner function).
COMPONENTS: tuple[tuple[str, str, str, str], ...] = (
    ("01", "01", "上水井盖", "water"), ("01", "10", "消火栓", "fire"), ("01", "18", "路灯", "urban_management"),
    ("02", "05", "交通信号灯", "transport"), ("03", "02", "垃圾箱", "urban_management"),
    ("01", "21", "治安监控摄像头", "police"),
)
KEY_PLACES: tuple[tuple[str, str, str, str], ...] = (
    ("330903001002002", "port", "沈家门渔港码头", "high"),
    ("330903001008002", "market", "东河农贸市场", "medium"),
    ("330903002001004", "school", "东港中学", "high"),
    ("330903002003001", "hospital", "普陀医院", "high"),
    ("330903100203001", "hazardous_chemicals", "小郭巨化工仓储", "high"),
    ("330903004001001", "gas_station", "展茅加油站", "medium"),
    ("330903104001001", "religious_site", "普济禅寺", "high"),
    ("330903003001002", "crowded_venue", "朱家尖南沙景区", "medium"),
)
