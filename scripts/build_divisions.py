"""Build fixtures/divisions/china-divisions.csv from the npm package china-division.

Run at build time only (needs pypinyin from requirements-dev.txt; the site never imports this):

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    .venv/bin/python scripts/build_divisions.py /tmp/package/dist

Reads provinces.json, cities.json and areas.json from the package's dist/ folder and
fixtures/regions.json (whose slugs and English names win), and writes one row per division:
code, parent code, level, Chinese name, English name, slug. Rules (see docs/regions.md):

- Municipalities (北京, 天津, 上海, 重庆): the package's pseudo-prefectures “市辖区” and “县” are
  dropped; districts and counties hang directly under the municipality.
- “省直辖县级行政区划” (Henan, Hubei, Hainan, Xinjiang): the pseudo-prefecture is dropped; its
  county-level cities hang directly under the province.
- Statistical-only units: the package follows the National Bureau of Statistics' codes, which add
  development zones, industrial parks and management areas (county codes ending 71–80) that are not
  administrative divisions in GB/T 2260; they are left out.
- Prefecture-level cities without counties (东莞, 中山, 儋州): the package repeats the city as its own
  “area” with the same code; the repeat is dropped.
- Slugs: pinyin of the name without its administrative suffix (宜君县 → yijun). Where that stem is
  shared, the suffix is added (朝阳区 → chaoyang-qu, 朝阳县 → chaoyang-xian); where that is still
  shared, the parent's slug goes in front (beijing-chaoyang-qu). The rule depends only on the data,
  so a rebuild gives the same slugs.
"""

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "fixtures" / "divisions" / "china-divisions.csv"
FIXTURE = ROOT / "fixtures" / "regions.json"
COLUMNS = ["code", "parent_code", "level", "name_zh_hans", "name_en", "slug"]

PSEUDO_PREFECTURES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# Ethnic groups in autonomous-area names, with the English names the State Council's translations use.
ETHNIC = {
    "蒙古族": "Mongol", "蒙古": "Mongol", "满族": "Manchu", "回族": "Hui", "达斡尔族": "Daur",
    "鄂伦春": "Oroqen", "鄂温克族": "Ewenki", "朝鲜族": "Korean", "畲族": "She", "土家族": "Tujia",
    "苗族": "Miao", "瑶族": "Yao", "侗族": "Dong", "壮族": "Zhuang", "各族": "Various Ethnic Groups",
    "仫佬族": "Mulao", "毛南族": "Maonan", "黎族": "Li", "羌族": "Qiang", "彝族": "Yi", "藏族": "Tibetan",
    "仡佬族": "Gelao", "布依族": "Buyei", "水族": "Shui", "傣族": "Dai", "哈尼族": "Hani", "纳西族": "Naxi",
    "拉祜族": "Lahu", "佤族": "Va", "布朗族": "Blang", "独龙族": "Derung", "怒族": "Nu", "白族": "Bai",
    "普米族": "Pumi", "傈僳族": "Lisu", "裕固族": "Yugur", "哈萨克族": "Kazak", "哈萨克": "Kazak",
    "东乡族": "Dongxiang", "保安族": "Bonan", "撒拉族": "Salar", "土族": "Tu", "塔吉克": "Tajik",
    "锡伯": "Xibe", "景颇族": "Jingpo", "柯尔克孜": "Kirgiz",
}  # fmt: skip
ETHNIC_RE = "|".join(sorted(map(re.escape, ETHNIC), key=len, reverse=True))
AUTONOMOUS_RE = re.compile(rf"^(?P<stem>.*?)(?P<groups>(?:{ETHNIC_RE})+)(?P<kind>自治州|自治县|自治旗|区)$")

# Administrative suffixes, longest first: (Chinese, English, slug word). 市 is a city at both levels.
SUFFIXES = [
    ("自治区", "Autonomous Region", "zizhiqu"),
    ("自治州", "Autonomous Prefecture", "zizhizhou"),
    ("自治县", "Autonomous County", "zizhixian"),
    ("自治旗", "Autonomous Banner", "zizhiqi"),
    ("新区", "New Area", "xinqu"),
    ("地区", "Prefecture", "diqu"),
    ("省", "Province", "sheng"),
    ("市", "City", "shi"),
    ("盟", "League", "meng"),
    ("区", "District", "qu"),
    ("县", "County", "xian"),
    ("旗", "Banner", "qi"),
]

# Divisions whose names carry no ordinary suffix: (stem, English name).
SPECIAL = {
    "神农架林区": ("神农架", "Shennongjia Forestry District"),
    "六枝特区": ("六枝", "Liuzhi Special District"),
    "西沙群岛": ("西沙", "Xisha Islands"),
    "南沙群岛": ("南沙", "Nansha Islands"),
    "中沙群岛的岛礁及其海域": ("中沙", "Zhongsha Islands, Their Reefs and Waters"),
    "大柴旦行政委员会": ("大柴旦", "Da Qaidam Administrative Committee"),
}


# Readings pypinyin gets wrong in place names: characters read one way in every division name,
# then whole words that are exceptions to that (长子 is zhǎng, 乐亭 lào).
CHARACTER_READINGS = {"都": "du", "长": "chang", "什": "shi", "朝": "chao", "乐": "le", "蚌": "beng", "漯": "luo"}
WORD_READINGS = {
    "长子": "zhang zi", "乐亭": "lao ting", "乐清": "yue qing", "乐陵": "lao ling", "洪洞": "hong tong",
    "繁峙": "fan shi", "筠连": "jun lian", "荥经": "ying jing", "涡阳": "guo yang", "覃塘": "qin tang",
    "曾都": "zeng du", "浚县": "xun xian", "单县": "shan xian", "马尾": "ma wei", "中牟": "zhong mou",
}  # fmt: skip


def syllables(text):
    result = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True)
    if len(result) != len(text):  # not one syllable per character: leave it as pypinyin reads it
        return [s for s in result if s.strip()]
    result = [CHARACTER_READINGS.get(char, syllable) for char, syllable in zip(text, result, strict=True)]
    for word, reading in WORD_READINGS.items():
        start = text.find(word)
        if start >= 0:
            result[start : start + len(word)] = reading.split()
    return result


def slug_word(text):
    return "".join(syllables(text)).replace("ü", "v").lower()


def english_word(text, parts=None):
    """Pinyin as written in English names: one word, an apostrophe before a/o/e inside it (Pu'an, Xi'an)."""
    parts = parts or syllables(text)
    word = parts[0] + "".join(f"'{s}" if s[0] in "aoe" else s for s in parts[1:])
    return word[:1].upper() + word[1:]


def split_name(name):
    """(stem, English name, slug word of the suffix) for a Chinese division name."""
    if name in SPECIAL:
        stem, english = SPECIAL[name]
        return stem, english, ""
    match = AUTONOMOUS_RE.match(name)
    if match:
        groups = re.findall(ETHNIC_RE, match["groups"])
        stem = match["stem"] or groups[0].removesuffix("族")
        suffix = next(s for s in SUFFIXES if s[0] == match["kind"])
        peoples = list(dict.fromkeys(ETHNIC[g] for g in groups))
        listed = peoples[0] if len(peoples) == 1 else ", ".join(peoples[:-1]) + " and " + peoples[-1]
        return stem, f"{english_word(stem)} {listed} {suffix[1]}", suffix[2]
    for chinese, english, word in SUFFIXES:
        stem = name.removesuffix(chinese)
        if stem != name:
            # A one-character stem keeps its suffix in the slug (单县 → shanxian, 城区 → chengqu).
            return (
                (stem, f"{english_word(stem)} {english}", word)
                if len(stem) >= 2
                else (name, f"{english_word(stem, syllables(name)[:1])} {english}", "")
            )
    return name, english_word(name), ""


def read_package(dist):
    def load(name):
        return json.loads((Path(dist) / name).read_text(encoding="utf-8"))

    provinces, cities, areas = load("provinces.json"), load("cities.json"), load("areas.json")
    rows = [{"code": p["code"] + "0000", "parent_code": "", "level": "province", "name": p["name"]} for p in provinces]
    kept_cities = set()
    for city in cities:
        if city["name"] in PSEUDO_PREFECTURES:
            continue
        kept_cities.add(city["code"])
        rows.append(
            {"code": city["code"] + "00", "parent_code": city["provinceCode"] + "0000", "level": "prefecture",
             "name": city["name"]}
        )  # fmt: skip
    for area in areas:
        if 71 <= int(area["code"][4:]) <= 80:
            continue  # a statistical unit (development zone, park), not an administrative division
        if area["code"] == area["cityCode"] + "00":
            continue  # a prefecture-level city repeated as its own county
        parent = area["cityCode"] + "00" if area["cityCode"] in kept_cities else area["provinceCode"] + "0000"
        rows.append({"code": area["code"], "parent_code": parent, "level": "county", "name": area["name"]})
    return rows


def assign_slugs(rows, fixed):
    """Slugs unique across the tree, decided by the data alone (see the module docstring)."""
    by_code = {row["code"]: row for row in rows}
    for row in rows:
        row["stem"], row["english"], row["kind"] = split_name(row["name"])
        row["tier1"] = slug_word(row["stem"])
        row["tier2"] = f"{row['tier1']}-{row['kind']}" if row["kind"] else row["tier1"]
    taken = {slug for code, (slug, _) in fixed.items() if code in by_code}
    free = [row for row in rows if row["code"] not in fixed]
    tier1 = Counter(row["tier1"] for row in free)
    tier2 = Counter(row["tier2"] for row in free)
    # Parents before children: a tier-3 slug starts with the parent's final slug.
    for row in sorted(rows, key=lambda row: (len(path_of(row, by_code)), row["code"])):
        if row["code"] in fixed:
            row["slug"] = fixed[row["code"]][0]
            continue
        if tier1[row["tier1"]] == 1 and row["tier1"] not in taken:
            slug = row["tier1"]
        elif tier2[row["tier2"]] == 1 and row["tier2"] not in taken:
            slug = row["tier2"]
        else:
            parent = by_code.get(row["parent_code"])
            slug = f"{parent['slug']}-{row['tier2']}" if parent else row["tier2"]
        if slug in taken:
            slug = f"{slug}-{row['code']}"
        taken.add(slug)
        row["slug"] = slug
    assert len({row["slug"] for row in rows}) == len(rows)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", row["slug"]) for row in rows), "non-ASCII slug"


def path_of(row, by_code):
    codes = [row["code"]]
    while by_code[codes[-1]]["parent_code"]:
        codes.append(by_code[codes[-1]]["parent_code"])
    return codes


def main(dist):
    rows = read_package(dist)
    fixed = {
        record["fields"]["code"]: (record["fields"]["slug"], record["fields"]["name_en"])
        for record in json.loads(FIXTURE.read_text(encoding="utf-8"))
    }
    assign_slugs(rows, fixed)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in sorted(rows, key=lambda row: row["code"]):
            english = fixed[row["code"]][1] if row["code"] in fixed else row["english"]
            writer.writerow([row["code"], row["parent_code"], row["level"], row["name"], english, row["slug"]])
    levels = Counter(row["level"] for row in rows)
    print(f"Wrote {len(rows)} divisions to {OUTPUT.relative_to(ROOT)}: {dict(levels)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
