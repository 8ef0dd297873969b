# Django's zh_Hans writes 12345678 with no separator (grouped by four, 万): outcome values are written
# 12,345,678 by the models in both languages, so counts in the templates follow the same grouping.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
