"""The OpenAPI 3.1 description of the API, served at /api/openapi.json.

Written by hand, except the case filters: their parameters are read from ``CaseFilter`` itself, so
a filter added to the listing is described here too. tests/test_api.py validates real responses
against these schemas (``additionalProperties: false`` throughout), so the two cannot drift apart.
"""

from django import forms
from django.conf import settings
from django.utils import translation
from django_filters import ChoiceFilter, ModelChoiceFilter, ModelMultipleChoiceFilter, MultipleChoiceFilter

from casebook.cases.filters import CaseFilter
from casebook.cases.models import Metric, Outcome, Participation
from casebook.organizations.models import Organization
from casebook.regions.models import Region

from .params import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parameter_names

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties, description=None):
    """An object with exactly these properties, all present (``null`` where a value is missing)."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
URI = {"type": "string", "format": "uri"}
SLUG = {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"}
YEAR = {"type": "integer", "minimum": 1900, "maximum": 2100}
DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "An exact decimal number, as text."}
DATE = {"type": "string", "format": "date"}
COUNT = {"type": "integer", "minimum": 0}


def choices(model_choices):
    return {"type": "string", "enum": list(model_choices.values)}


def schemas():
    texts = obj(
        dict.fromkeys(LANGUAGES, NULLABLE_STRING),
        "A translated text in every language; null where that language has no text yet.",
    )
    urls = obj(dict.fromkeys(LANGUAGES, URI), "The address of the public page in each language.")
    named = obj({"slug": SLUG, "name": ref("Texts")})
    region_brief = {"code": STRING, "slug": SLUG, "name": ref("Texts"), "level": choices(Region.Level)}
    organization_brief = {"slug": SLUG, "name": ref("Texts"), "kind": choices(Organization.Kind)}
    source = obj(
        {
            "slug": SLUG,
            "title": ref("Texts"),
            "publisher": nullable(ref("OrganizationBrief")),
            "published_on": nullable(DATE),
            "url": nullable(URI),
        }
    )
    case_summary = {
        "slug": SLUG,
        "title": ref("Texts"),
        "summary": ref("Texts"),
        "type": ref("Named"),
        "themes": {"type": "array", "items": ref("Named")},
        "regions": {"type": "array", "items": ref("RegionBrief")},
        "organizations": {
            "type": "array",
            "items": obj({**organization_brief, "role": choices(Participation.Role)}),
        },
        "period": obj({"start_year": YEAR, "end_year": nullable(YEAR)}),
        "published_at": {"type": "string", "format": "date-time"},
        "url": {**URI, "description": "This case in the API."},
        "html_url": ref("Urls"),
    }
    markdown = {**ref("Texts"), "description": "Markdown."}
    outcome = obj(
        {
            "slug": SLUG,
            "indicator": ref("Texts"),
            "metric": obj(
                {
                    "slug": SLUG,
                    "name": ref("Texts"),
                    "unit": ref("Texts"),
                    "kind": choices(Metric.Kind),
                    "higher_is_better": {"type": "boolean"},
                }
            ),
            "qualifier": nullable({"type": "string", "enum": [v for v in Outcome.Qualifier.values if v]}),
            "value": DECIMAL,
            "year": YEAR,
            "baseline": nullable(
                obj(
                    {
                        "qualifier": nullable({"type": "string", "enum": [v for v in Outcome.Qualifier.values if v]}),
                        "value": DECIMAL,
                        "year": YEAR,
                    }
                )
            ),
            "region": {**NULLABLE_STRING, "description": "The administrative code of the region measured."},
            "note": ref("Texts"),
            "source": {**nullable(SLUG), "description": "The slug of one of the case's sources."},
        }
    )
    figure = obj(
        {
            "slug": SLUG,
            "image": nullable(URI),
            "width": nullable({"type": "integer", "minimum": 1}),
            "height": nullable({"type": "integer", "minimum": 1}),
            "caption": ref("Texts"),
            "alt": {**nullable(ref("Texts")), "description": "The text alternative; null for a decorative figure."},
            "decorative": {"type": "boolean"},
            "credit": ref("Texts"),
        }
    )
    case_detail = {
        **case_summary,
        "background": markdown,
        "approach": markdown,
        "results": markdown,
        "lessons": markdown,
        "translation_note": ref("Texts"),
        "organizations": {
            "type": "array",
            "items": obj({**organization_brief, "role": choices(Participation.Role), "note": ref("Texts")}),
        },
        "commissioners": {
            "type": "array",
            "items": obj({"slug": SLUG, "name": ref("Texts"), "title": ref("Texts"), "organization": SLUG}),
        },
        "collections": {
            "type": "array",
            "items": obj({"slug": SLUG, "short_title": ref("Texts"), "number": nullable(COUNT), "url": URI}),
        },
        "outcomes": {"type": "array", "items": outcome},
        "figures": {"type": "array", "items": figure},
        "sources": {"type": "array", "items": ref("Source")},
    }
    region = {
        **region_brief,
        "parent": {**NULLABLE_STRING, "description": "The administrative code of the region above."},
        "path": {"type": "array", "items": STRING, "description": "Codes from the top of the tree down to this one."},
        "url": URI,
        "cases_url": {**URI, "description": "The published cases in this region and below, in the API."},
        "html_url": ref("Urls"),
    }
    organization = {
        **organization_brief,
        "parent": nullable(SLUG),
        "website": nullable(URI),
        "description": ref("Texts"),
        "case_count": {**COUNT, "description": "Published cases the organization takes part in."},
        "url": URI,
        "cases_url": URI,
        "html_url": ref("Urls"),
    }
    collection = {
        "slug": SLUG,
        "title": ref("Texts"),
        "short_title": ref("Texts"),
        "publisher": ref("OrganizationBrief"),
        "published_on": DATE,
        "batch_number": nullable(COUNT),
        "announced_case_count": {**nullable(COUNT), "description": "How many cases the publisher announced."},
        "case_count": {**COUNT, "description": "Published cases of the collection on this site."},
        "source": nullable(ref("Source")),
        "url": URI,
        "cases_url": URI,
        "html_url": ref("Urls"),
    }
    return {
        "Texts": texts,
        "Urls": urls,
        "Named": named,
        "RegionBrief": obj(region_brief),
        "OrganizationBrief": obj(organization_brief),
        "Source": source,
        "CaseSummary": obj(case_summary),
        "CaseDetail": obj(case_detail),
        "Region": obj(region),
        "RegionDetail": obj(
            {
                **region,
                "ancestors": {"type": "array", "items": ref("RegionBrief"), "description": "Top of the tree first."},
                "case_count": {**COUNT, "description": "Published cases in this region and below."},
                "children": {"type": "array", "items": obj({**region, "case_count": COUNT})},
            }
        ),
        "Organization": obj(organization),
        "OrganizationDetail": obj(
            {**organization, "case_count_by_role": obj(dict.fromkeys(Participation.Role.values, COUNT))}
        ),
        "Collection": obj(collection),
        "CollectionDetail": obj(
            {
                **collection,
                "description": ref("Texts"),
                "cases": {
                    "type": "array",
                    "description": "Published cases of the collection, in their numbered order.",
                    "items": obj(
                        {
                            "number": nullable(COUNT),
                            "slug": SLUG,
                            "title": ref("Texts"),
                            "url": URI,
                            "html_url": ref("Urls"),
                        }
                    ),
                },
            }
        ),
        "Errors": obj(
            {
                "errors": {
                    "type": "object",
                    "description": "Messages by parameter name (or 'path', 'method'), in the Accept-Language.",
                    "additionalProperties": {"type": "array", "items": STRING, "minItems": 1},
                    "minProperties": 1,
                }
            }
        ),
    }


def page_schema(item):
    return obj(
        {
            "count": {**COUNT, "description": "Matching records on all pages."},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "pages": {"type": "integer", "minimum": 1},
            "next": nullable(URI),
            "previous": nullable(URI),
            "results": {"type": "array", "items": ref(item)},
        }
    )


def json_content(schema):
    return {"application/json": {"schema": schema}}


def responses(schema, *, not_found=False):
    result = {
        "200": {"description": "OK", "content": json_content(schema)},
        "400": {"description": "A parameter could not be used.", "content": json_content(ref("Errors"))},
    }
    if not_found:
        result["404"] = {"description": "Nothing published at this address.", "content": json_content(ref("Errors"))}
    return result


PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "description": "From 1; a page past the last one is a 400.",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    },
    {
        "name": "page_size",
        "in": "query",
        "description": "Records per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    },
]


def filter_parameter(name, case_filter):
    """A query parameter, described from a ``CaseFilter`` filter: the listing's label is its description."""
    description = str(case_filter.label or name)
    help_text = case_filter.extra.get("help_text")
    if help_text:
        description += f" {help_text}"
    field_class = case_filter.field_class
    if isinstance(case_filter, (ModelChoiceFilter, ModelMultipleChoiceFilter)):
        schema = {**SLUG, "description": "A slug."}
    elif isinstance(case_filter, (ChoiceFilter, MultipleChoiceFilter)) and not callable(
        case_filter.extra.get("choices")
    ):
        schema = {"type": "string", "enum": [str(value) for value, _label in case_filter.extra.get("choices", [])]}
    elif issubclass(field_class, forms.IntegerField):
        schema = {"type": "integer"}
        for key, extra in (("minimum", "min_value"), ("maximum", "max_value")):
            if case_filter.extra.get(extra) is not None:
                schema[key] = case_filter.extra[extra]
    else:
        schema = {"type": "string"}
        if case_filter.extra.get("max_length"):
            schema["maxLength"] = case_filter.extra["max_length"]
    parameter = {"name": name, "in": "query", "description": description, "schema": schema}
    if isinstance(case_filter, MultipleChoiceFilter):
        # ?type=a&type=b
        parameter.update(schema={"type": "array", "items": schema}, style="form", explode=True)
    return parameter


def case_filter_parameters():
    form_fields = CaseFilter().form.fields
    parameters = []
    for name, case_filter in CaseFilter.base_filters.items():
        names = parameter_names(name, form_fields[name])
        if names == [name]:
            parameters.append(filter_parameter(name, case_filter))
        else:  # a filter of several parts (a range): one parameter each, described by the filter's label
            parameters += [
                {"name": part, "in": "query", "description": str(case_filter.label or name), "schema": STRING}
                for part in names
            ]
    return parameters


def path_parameter(name, description):
    return {"name": name, "in": "path", "required": True, "description": description, "schema": SLUG}


def openapi_document():
    with translation.override("en"):
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "Casebook API",
                "version": "1",
                "description": (
                    "Read-only access to the published cases of Casebook and their reference data. "
                    'Translated text comes in every language at once ({"zh-hans": …, "en": …}); '
                    "Accept-Language chooses the language of error messages and of sort=title. "
                    "Unknown parameters, invalid values and text that is not UTF-8 are a 400 with "
                    '{"errors": {"parameter": ["message"]}}. Responses may be cached for five minutes '
                    "and carry an ETag."
                ),
            },
            "paths": {
                "/api/cases/": {
                    "get": {
                        "summary": "Published cases, filtered as on the public listing",
                        "operationId": "listCases",
                        "parameters": case_filter_parameters() + PAGE_PARAMETERS,
                        "responses": responses(page_schema("CaseSummary")),
                    }
                },
                "/api/cases/{slug}/": {
                    "get": {
                        "summary": "One published case, whole",
                        "operationId": "getCase",
                        "parameters": [path_parameter("slug", "The case's slug (an earlier slug redirects).")],
                        "responses": {
                            **responses(ref("CaseDetail"), not_found=True),
                            "301": {"description": "An earlier slug of the case: Location gives its address."},
                        },
                    }
                },
                "/api/regions/": {
                    "get": {
                        "summary": "Regions, in tree order",
                        "operationId": "listRegions",
                        "parameters": [
                            {"name": "level", "in": "query", "schema": choices(Region.Level)},
                            {
                                "name": "parent",
                                "in": "query",
                                "description": "Only the regions directly below this one (code or slug).",
                                "schema": SLUG,
                            },
                            *PAGE_PARAMETERS,
                        ],
                        "responses": responses(page_schema("Region")),
                    }
                },
                "/api/regions/{key}/": {
                    "get": {
                        "summary": "A region with its ancestors, its children and case counts",
                        "operationId": "getRegion",
                        "parameters": [path_parameter("key", "The administrative code (610222) or the slug.")],
                        "responses": responses(ref("RegionDetail"), not_found=True),
                    }
                },
                "/api/organizations/": {
                    "get": {
                        "summary": "Organizations, by slug",
                        "operationId": "listOrganizations",
                        "parameters": [
                            {"name": "kind", "in": "query", "schema": choices(Organization.Kind)},
                            *PAGE_PARAMETERS,
                        ],
                        "responses": responses(page_schema("Organization")),
                    }
                },
                "/api/organizations/{slug}/": {
                    "get": {
                        "summary": "An organization, with its published cases counted by role",
                        "operationId": "getOrganization",
                        "parameters": [path_parameter("slug", "The organization's slug.")],
                        "responses": responses(ref("OrganizationDetail"), not_found=True),
                    }
                },
                "/api/collections/": {
                    "get": {
                        "summary": "Collections (published batches of cases), newest first",
                        "operationId": "listCollections",
                        "parameters": PAGE_PARAMETERS,
                        "responses": responses(page_schema("Collection")),
                    }
                },
                "/api/collections/{slug}/": {
                    "get": {
                        "summary": "A collection with its published cases in order",
                        "operationId": "getCollection",
                        "parameters": [path_parameter("slug", "The collection's slug.")],
                        "responses": responses(ref("CollectionDetail"), not_found=True),
                    }
                },
                "/api/openapi.json": {
                    "get": {
                        "summary": "This description",
                        "operationId": "getOpenApi",
                        "responses": {
                            "200": {"description": "OpenAPI 3.1", "content": json_content({"type": "object"})}
                        },
                    }
                },
            },
            "components": {"schemas": schemas()},
        }
