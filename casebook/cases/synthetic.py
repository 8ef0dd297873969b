"""Synthetic cases for scale: realistic enough to search, filter and page through, clearly marked as made up.

Every synthetic case has a slug starting ``synthetic-``, a title starting “【示例】” / “[Synthetic]”, and
the source “Synthetic data (generate_cases --seed S)”. The same seed and count give the same data.
Rows are written with bulk_create in batches (no save(), so no history rows), and each batch is
announced with ``cases_changed`` once its transaction has committed.

Words the benchmark and the search tests rely on (see docs/synthetic-data.md):

- in every 1,000th case (index divisible by 1,000, so 100 of 100,000): “藜麦” and “quinoa”;
- in every other case (even index, so half of all cases): “合作社” and “cooperative”;
  the other half read “农户” and “local” in the same places;
- products rotate through PRODUCTS, so “苹果” / “apples” appear in about one case in 16.

Two published cases are there for the case-page benchmark: the second (``synthetic-S-000002``) has
30 figures and 30 outcomes, the third (``synthetic-S-000003``) exactly one of each.
"""

import random
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import translation

from casebook.organizations.models import Commissioner, Organization
from casebook.regions.divisions import load_divisions, read_divisions
from casebook.regions.models import Region

from .models import (
    AssistanceType,
    Case,
    Collection,
    CollectionEntry,
    Figure,
    Metric,
    Outcome,
    Participation,
    Source,
    Theme,
)
from .signals import cases_changed

SLUG_PREFIX = "synthetic-"
TITLE_PREFIX = {"zh_hans": "【示例】", "en": "[Synthetic] "}
RARE_WORDS = ("藜麦", "quinoa")
COMMON_WORDS = ("合作社", "cooperative")
# Metrics counted in whole units (stores, people): small whole numbers.
COUNTED_METRICS = {"online-stores", "commissioners-sent"}
# Bump when the same seed starts giving different data: `make bench` then seeds its database again.
DATA_VERSION = 2
BATCH_SIZE = 2000
# Case index -> (figures, outcomes) for the case-page benchmark.
SHOWCASES = {1: (30, 30), 2: (1, 1)}
ORGANIZATIONS = 300
COMMISSIONERS = 200
COLLECTIONS = 12
IMAGES_DIR = Path(settings.BASE_DIR) / "fixtures" / "media" / "figures" / "first-batch"
IMAGES_TARGET = "figures/synthetic"
IMAGE_SIZE = (960, 640)
FIRST_PUBLICATION = datetime(2021, 1, 1, tzinfo=UTC)
PUBLICATION_SPAN_SECONDS = 5 * 365 * 24 * 3600

# (Chinese, English) pairs the texts are made of.
PRODUCTS = [
    ("苹果", "apples"), ("茶叶", "tea"), ("核桃", "walnuts"), ("猕猴桃", "kiwifruit"), ("花椒", "Sichuan pepper"),
    ("木耳", "wood-ear mushrooms"), ("小米", "millet"), ("蜂蜜", "honey"), ("脐橙", "navel oranges"),
    ("牦牛肉", "yak meat"), ("香菇", "shiitake mushrooms"), ("土豆", "potatoes"), ("红枣", "red dates"),
    ("辣椒", "chili peppers"), ("大米", "rice"), ("中药材", "medicinal herbs"),
]  # fmt: skip
APPROACHES = [
    ("电商直播", "live-streaming sales", "live-streaming"),
    ("冷链物流", "cold-chain logistics", "logistics"),
    ("品牌设计", "brand design", "agricultural-brands"),
    ("包装升级", "new packaging", "packaging-design"),
    ("线上店铺", "online stores", "e-commerce"),
    ("订单农业", "contract farming", "e-commerce"),
]
ORG_KINDS = [
    (Organization.Kind.ENTERPRISE, "科技有限公司", "Technology Co."),
    (Organization.Kind.ENTERPRISE, "农业发展集团", "Agricultural Development Group"),
    (Organization.Kind.FOUNDATION, "公益基金会", "Charitable Foundation"),
    (Organization.Kind.ASSOCIATION, "电子商务协会", "E-commerce Association"),
    (Organization.Kind.UNIVERSITY, "农业大学", "Agricultural University"),
    (Organization.Kind.GOVERNMENT_OFFICE, "帮扶办公室", "Assistance Office"),
]
ORG_STEMS = [
    ("华远", "Huayuan"), ("青禾", "Qinghe"), ("云岭", "Yunling"), ("丰泽", "Fengze"), ("山海", "Shanhai"),
    ("星田", "Xingtian"), ("乡韵", "Xiangyun"), ("沃土", "Wotu"), ("禾丰", "Hefeng"), ("益农", "Yinong"),
    ("千村", "Qiancun"), ("绿源", "Lüyuan"), ("金穗", "Jinsui"), ("长风", "Changfeng"), ("远帆", "Yuanfan"),
]  # fmt: skip
SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
            ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu")]  # fmt: skip
GIVEN_NAMES = [("建国", "Jianguo"), ("晓燕", "Xiaoyan"), ("志强", "Zhiqiang"), ("丽华", "Lihua"), ("海涛", "Haitao"),
               ("雅慧", "Yahui"), ("文博", "Wenbo"), ("春梅", "Chunmei")]  # fmt: skip
# Weights of the assistance types in fixture order: the first is clearly the largest.
TYPE_WEIGHTS = [5, 3, 2]


@dataclass
class Pools:
    regions: list
    types: list
    themes: dict
    metrics: list
    organizations: list
    commissioners: list
    collections: list
    source: Source
    images: list


def generate(count, seed, draft_share=0.1, replace=False, log=None):
    """Write ``count`` synthetic cases for ``seed``; returns the ids of the new cases."""
    log = log or (lambda message: None)
    existing = Case.objects.filter(slug__startswith=SLUG_PREFIX)
    if existing.exists():
        if not replace:
            raise ValueError(f"{existing.count()} synthetic cases exist already; pass --replace to delete them first.")
        delete_synthetic_cases()
    with translation.override(settings.LANGUAGE_CODE):
        pools = prepare_pools(seed)
        rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        case_ids, started = [], time.perf_counter()
        for start in range(0, count, BATCH_SIZE):
            indexes = range(start, min(start + BATCH_SIZE, count))
            with transaction.atomic():
                ids = write_batch(rng, seed, indexes, pools, draft_share)
            cases_changed.send(sender=Case, case_ids=ids)
            case_ids.extend(ids)
            log(f"{len(case_ids)} of {count} cases ({time.perf_counter() - started:.1f} s)")
    return case_ids


def data_version_note(seed):
    """Stored in the synthetic source's text: which generator made the data (see DATA_VERSION)."""
    return f"Made up by `manage.py generate_cases --seed {seed}`, data version {DATA_VERSION}. Not a real source."


def delete_synthetic_cases():
    """Delete every synthetic case and the rows that depend on it, in a few set-based statements: no
    per-row signals, so no history rows. Rows pointing at a case are found from the models, so tables
    other parts add later (a search index, say) are covered too."""
    ids = list(Case.objects.filter(slug__startswith=SLUG_PREFIX).values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        delete_rows(cursor, Case, f"{connection.ops.quote_name('slug')} LIKE %s", [f"{SLUG_PREFIX}%"])
    for start in range(0, len(ids), BATCH_SIZE):
        cases_changed.send(sender=Case, case_ids=ids[start : start + BATCH_SIZE])


def delete_rows(cursor, model, condition, params):
    """DELETE the rows of ``model`` matching ``condition``, after the rows that refer to them."""
    quote = connection.ops.quote_name
    selection = f"SELECT {quote(model._meta.pk.column)} FROM {quote(model._meta.db_table)} WHERE {condition}"  # noqa: S608
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        field = relation.field
        referring = f"{quote(field.column)} IN ({selection})"
        if field.remote_field.on_delete is models.SET_NULL:
            table = quote(field.model._meta.db_table)
            cursor.execute(f"UPDATE {table} SET {quote(field.column)} = NULL WHERE {referring}", params)  # noqa: S608
        elif field.db_constraint:
            delete_rows(cursor, field.model, referring, params)
    cursor.execute(f"DELETE FROM {quote(model._meta.db_table)} WHERE {condition}", params)  # noqa: S608


def prepare_pools(seed):
    """The reference data the cases point at: loaded or created once, reused by later runs."""
    if Region.objects.filter(level=Region.Level.COUNTY).count() < 1000:
        load_divisions(read_divisions())
    if not AssistanceType.objects.exists() or not Metric.objects.exists():
        call_command("loaddata", str(Path(settings.BASE_DIR) / "fixtures" / "reference.json"), verbosity=0)
    regions = list(
        Region.objects.filter(level__in=[Region.Level.COUNTY, Region.Level.PREFECTURE])
        .order_by("code")
        .values_list("pk", "level", "name_zh_hans", "name_en")
    )
    organizations = ensure_organizations()
    source, _ = Source.objects.update_or_create(
        slug=f"synthetic-data-seed-{seed}",
        defaults={
            "text": data_version_note(seed),
            "title": f"Synthetic data (generate_cases --seed {seed})",
            "title_zh_hans": f"Synthetic data (generate_cases --seed {seed})",
            "title_en": f"Synthetic data (generate_cases --seed {seed})",
        },
    )
    return Pools(
        regions=regions,
        types=list(AssistanceType.objects.order_by("order", "slug").values_list("pk", flat=True)),
        themes=dict(Theme.objects.values_list("slug", "pk")),
        metrics=list(Metric.objects.order_by("slug")),
        organizations=organizations,
        commissioners=ensure_commissioners(organizations),
        collections=ensure_collections(organizations),
        source=source,
        images=ensure_images(),
    )


def ensure_organizations():
    wanted = []
    for n in range(ORGANIZATIONS):
        kind, zh_suffix, en_suffix = ORG_KINDS[n % len(ORG_KINDS)]
        zh_stem, en_stem = ORG_STEMS[n % len(ORG_STEMS)]
        wanted.append(
            Organization(
                slug=f"synthetic-org-{n + 1:03d}",
                kind=kind,
                name=f"{TITLE_PREFIX['zh_hans']}{zh_stem}{zh_suffix}{n + 1}",
                name_zh_hans=f"{TITLE_PREFIX['zh_hans']}{zh_stem}{zh_suffix}{n + 1}",
                name_en=f"{TITLE_PREFIX['en']}{en_stem} {en_suffix} {n + 1}",
                description_zh_hans="用于测试和性能评估的虚构机构。",
                description_en="A made-up organization for tests and benchmarks.",
            )
        )
    return ensure(Organization, wanted)


def ensure_commissioners(organizations):
    wanted = []
    for n in range(COMMISSIONERS):
        surname, given = SURNAMES[n % len(SURNAMES)], GIVEN_NAMES[(n // len(SURNAMES)) % len(GIVEN_NAMES)]
        wanted.append(
            Commissioner(
                slug=f"synthetic-commissioner-{n + 1:03d}",
                organization_id=organizations[n % len(organizations)],
                name=f"{surname[0]}{given[0]}{n + 1}",
                name_zh_hans=f"{surname[0]}{given[0]}{n + 1}",
                name_en=f"{surname[1]} {given[1]} {n + 1}",
                title_zh_hans="乡村振兴特派员（示例）",
                title_en="Rural revitalization commissioner (synthetic)",
            )
        )
    return ensure(Commissioner, wanted)


def ensure_collections(organizations):
    wanted = []
    for n in range(COLLECTIONS):
        title_zh = f"{TITLE_PREFIX['zh_hans']}帮扶典型案例第{n + 1}批"
        title_en = f"{TITLE_PREFIX['en']}Typical assistance cases, batch {n + 1}"
        wanted.append(
            Collection(
                slug=f"synthetic-collection-{n + 1:02d}",
                publisher_id=organizations[n],
                published_on=datetime(2021 + n // 3, 1 + (n % 3) * 4, 15, tzinfo=UTC).date(),
                batch_number=n + 1,
                title=title_zh,
                title_zh_hans=title_zh,
                title_en=title_en,
                short_title=f"示例第{n + 1}批",
                short_title_zh_hans=f"示例第{n + 1}批",
                short_title_en=f"Synthetic batch {n + 1}",
            )
        )
    return ensure(Collection, wanted)


def ensure(model, wanted):
    """Create the rows of ``wanted`` missing by slug; the pks of all of them, in order."""
    existing = dict(model.objects.filter(slug__in=[obj.slug for obj in wanted]).values_list("slug", "pk"))
    model.objects.bulk_create([obj for obj in wanted if obj.slug not in existing], batch_size=BATCH_SIZE)
    existing = dict(model.objects.filter(slug__in=[obj.slug for obj in wanted]).values_list("slug", "pk"))
    return [existing[obj.slug] for obj in wanted]


def ensure_images():
    """A few shared images, stored once in media storage; every synthetic figure points at one of them."""
    target = Path(settings.MEDIA_ROOT) / IMAGES_TARGET
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for path in sorted(IMAGES_DIR.glob("*.jpg")):
        if not (target / path.name).exists():
            shutil.copyfile(path, target / path.name)
        names.append(f"{IMAGES_TARGET}/{path.name}")
    return names


def write_batch(rng, seed, indexes, pools, draft_share):
    cases, plans = [], []
    for index in indexes:
        case, plan = make_case(rng, seed, index, pools, draft_share)
        cases.append(case)
        plans.append(plan)
    Case.objects.bulk_create(cases)
    if cases and cases[0].pk is None:  # a backend without RETURNING: look the ids up by slug
        ids = dict(Case.objects.filter(slug__in=[c.slug for c in cases]).values_list("slug", "pk"))
        for case in cases:
            case.pk = ids[case.slug]
    rows = {model: [] for model in (Participation, Figure, Outcome, CollectionEntry)}
    through = {name: [] for name in ("regions", "themes", "commissioners", "sources")}
    for case, plan in zip(cases, plans, strict=True):
        for region_id in plan["regions"]:
            through["regions"].append(Case.regions.through(case_id=case.pk, region_id=region_id))
        for theme_id in plan["themes"]:
            through["themes"].append(Case.themes.through(case_id=case.pk, theme_id=theme_id))
        for commissioner_id in plan["commissioners"]:
            through["commissioners"].append(
                Case.commissioners.through(case_id=case.pk, commissioner_id=commissioner_id)
            )
        through["sources"].append(Case.sources.through(case_id=case.pk, source_id=pools.source.pk))
        for obj in plan["children"]:
            obj.case_id = case.pk
            rows[type(obj)].append(obj)
    for name, objs in through.items():
        getattr(Case, name).through.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    for model, objs in rows.items():
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    return [case.pk for case in cases]


def make_case(rng, seed, index, pools, draft_share):
    """One case and the rows that hang off it; every random choice comes from ``rng`` in a fixed order."""
    product_zh, product_en = PRODUCTS[index % len(PRODUCTS)]
    approach_zh, approach_en, theme_slug = rng.choice(APPROACHES)
    region_rows = rng.sample(pools.regions, rng.choice((1, 1, 1, 2)))
    place_zh = "、".join(row[2] for row in region_rows)
    place_en = " and ".join(row[3] for row in region_rows)
    start_year = rng.randint(2016, 2024)
    end_year = rng.choice((None, start_year, min(start_year + rng.randint(1, 3), 2025)))
    weights = [TYPE_WEIGHTS[n] if n < len(TYPE_WEIGHTS) else 1 for n in range(len(pools.types))]
    type_id = rng.choices(pools.types, weights=weights)[0]
    draft = rng.random() < draft_share and index not in SHOWCASES
    published_at = None if draft else FIRST_PUBLICATION + timedelta(seconds=rng.randrange(PUBLICATION_SPAN_SECONDS))
    growth = rng.randint(15, 400)
    stores = rng.randint(3, 120)
    rare_zh, rare_en = (
        (f"部分农户还种植{RARE_WORDS[0]}。", f" Some also grow {RARE_WORDS[1]}.") if index % 1000 == 0 else ("", "")
    )
    common_zh, common_en = COMMON_WORDS if index % 2 == 0 else ("农户", "local")

    title_zh = f"{TITLE_PREFIX['zh_hans']}{place_zh}{product_zh}{approach_zh}帮扶案例 {index + 1}"
    title_en = f"{TITLE_PREFIX['en']}{approach_en.capitalize()} for {product_en} in {place_en} ({index + 1})"
    texts = {
        "summary": (
            f"{place_zh}依托{product_zh}产业，通过{approach_zh}带动{common_zh}增收，销售额增长{growth}%。",
            f"In {place_en}, {approach_en} helped {common_en} farmers sell more {product_en}; sales grew by {growth}%.",
        ),
        "background": (
            f"{place_zh}地处山区，{product_zh}品质好但销路窄，{common_zh}缺少稳定的销售渠道。{rare_zh}",
            f"{place_en} lies in the hills. Its {product_en} are good but hard to sell, and {common_en} "
            f"farmers had no steady buyers.{rare_en}",
        ),
        "approach": (
            f"帮扶单位开展{approach_zh}，培训{stores}名带头人，建设线上店铺{stores}家，统一品牌和包装。",
            f"The assisting organizations set up {approach_en}, trained {stores} local leaders, opened "
            f"{stores} online stores and gave the produce one brand and packaging.",
        ),
        "results": (
            f"{product_zh}销售额增长{growth}%，带动当地就业，{common_zh}收入明显提高。",
            f"Sales of {product_en} grew by {growth}%, local jobs followed and {common_en} farmers earned more.",
        ),
        "lessons": (
            "稳定的渠道、统一的标准和本地人才是可复制的经验。",
            "Steady channels, shared standards and local talent are what others can replicate.",
        ),
    }
    case = Case(
        slug=f"{SLUG_PREFIX}{seed}-{index + 1:06d}",
        title=title_zh,
        title_zh_hans=title_zh,
        title_en=title_en,
        assistance_type_id=type_id,
        start_year=start_year,
        end_year=end_year,
        status=Case.Status.DRAFT if draft else Case.Status.PUBLISHED,
        published_at=published_at,
        translation_note_en="Synthetic data generated for tests and benchmarks.",
        translation_note_zh_hans="示例数据，仅用于测试和性能评估。",
    )
    for field, (zh, en) in texts.items():
        setattr(case, f"{field}_zh_hans", zh)
        setattr(case, f"{field}_en", en)

    organizations = rng.sample(pools.organizations, rng.randint(1, 3))
    roles = [Participation.Role.ASSISTING, Participation.Role.PARTNER, Participation.Role.ASSISTED]
    children = [
        Participation(organization_id=org, role=roles[n], note_zh_hans="", note_en="")
        for n, org in enumerate(organizations)
    ]
    figure_count, outcome_count = SHOWCASES.get(index, (rng.choice((0, 1, 1, 2)), rng.randint(1, 3)))
    for n in range(outcome_count):
        metric = pools.metrics[(index + n) % len(pools.metrics)]
        children.append(make_outcome(rng, n, metric, start_year, end_year, product_zh, product_en))
    for n in range(figure_count):
        caption_zh = f"图{n + 1} {place_zh}的{product_zh}（示例图片）"
        caption_en = f"Figure {n + 1} {product_en.capitalize()} from {place_en} (placeholder image)"
        children.append(
            Figure(
                slug=f"figure-{n + 1}",
                image=rng.choice(pools.images),
                width=IMAGE_SIZE[0],
                height=IMAGE_SIZE[1],
                caption=caption_zh,
                caption_zh_hans=caption_zh,
                caption_en=caption_en,
                alt_text_zh_hans="示例占位图片",
                alt_text_en="A placeholder photograph",
                order=n,
            )
        )
    if rng.random() < 0.3:
        n = rng.randrange(len(pools.collections))
        children.append(CollectionEntry(collection_id=pools.collections[n], number=None))
    themes = {pools.themes[slug] for slug in (theme_slug, rng.choice(sorted(pools.themes))) if slug in pools.themes}
    commissioners = [rng.choice(pools.commissioners)] if rng.random() < 0.3 else []
    plan = {
        "regions": [row[0] for row in region_rows],
        "themes": sorted(themes),
        "commissioners": commissioners,
        "children": children,
    }
    return case, plan


def make_outcome(rng, n, metric, start_year, end_year, product_zh, product_en):
    year = end_year or start_year
    if metric.kind == Metric.Kind.RANK:
        baseline, value = rng.randint(200, 2000), rng.randint(1, 199)
    elif metric.slug in COUNTED_METRICS:
        baseline, value = rng.randint(1, 20), rng.randint(21, 80)
    else:
        baseline = rng.randint(10, 100_000)
        factor = Decimal(rng.randint(50, 600)) / 100
        value = (Decimal(baseline) * (factor if metric.higher_is_better else 1 / factor)).quantize(Decimal("0.01"))
    has_baseline = rng.random() < 0.8
    indicator_zh = f"{product_zh}{metric.name_zh_hans or metric.name}"
    indicator_en = f"{metric.name_en or metric.name} of {product_en}"
    return Outcome(
        slug=f"outcome-{n + 1}",
        metric=metric,
        indicator=indicator_zh,
        indicator_zh_hans=indicator_zh,
        indicator_en=indicator_en,
        value=value,
        year=year,
        baseline_value=baseline if has_baseline else None,
        baseline_year=start_year if has_baseline else None,
        order=n,
    )
