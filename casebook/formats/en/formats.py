# Dates as the sources and most international readers write them: 24 October 2022 (Django's "en" says Oct. 24, 2022).
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
