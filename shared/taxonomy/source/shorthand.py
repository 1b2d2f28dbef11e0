"""Row shapes and the authority shorthands shared by the source tables."""

Row = tuple[str, str, str, str]
Subclass = tuple[str, list[Row]]
Klass = tuple[str, str, list[Subclass]]
Module = tuple[str, list[Klass]]

DISPUTE = "c:community s:governance d:civil_affairs"
CITY = "s:enforcement d:urban_management"
CITY_C = "c:community s:enforcement d:urban_management"
POLICE_C = "c:community s:governance d:police"
CARE = "c:community s:services d:civil_affairs"
MARKET = "s:market d:market_regulation"
HOUSING_C = "c:community s:services d:housing"
