"""The words 办法 use for when they take effect and how long they hold, as patterns: read by the
importer from a source document and by the 条文对照表 to compare 施行/有效期 as rules. One
definition, so both read the same phrases (自发布之日起30日后施行, 有效期3年 …)."""

from __future__ import annotations

import re

ZH_NUMERALS = "一二三四五六七八九十百零〇两"
NUMBER = rf"(\d+|[{ZH_NUMERALS}]+)"  # 30 or 三十, not a mix

AFTER_PUBLICATION = re.compile(rf"自(?:发布|印发|公布)之日起{NUMBER}日后(?:施行|实施|执行)")
ON_PUBLICATION = re.compile(r"自(?:发布|印发|公布)之日起(?:施行|实施|执行)")
DATE_RANGE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起?至(\d{4})年(\d{1,2})月(\d{1,2})日止?(?:施行|实施|执行)")
FROM_DATE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起?(?:施行|实施|执行)")
VALIDITY_YEARS = re.compile(rf"有效期(?:为)?{NUMBER}年")
