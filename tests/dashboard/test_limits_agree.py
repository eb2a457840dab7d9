"""The API's limits are written twice on purpose: in the client's types (which the dashboard's
forms read) and in the built-in engine's request schemas (the engine never imports the
dashboard). These tests read both sides and fail when they disagree."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from assistants_app import forms
from assistants_app.services import types as client
from engine import schemas as engine
from engine.files import schemas as engine_files

LIMIT_KEYS = {"maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems", "pattern"}


def limits(model: type[BaseModel], field: str) -> dict[str, Any]:
    """The constraints JSON Schema gives one field (null left aside), e.g. {"maxLength": 256}."""
    whole = model.model_json_schema()
    if "$ref" in whole:  # a recursive model (a compound filter) is a reference to its definition
        whole = whole["$defs"][whole["$ref"].rsplit("/", 1)[-1]]
    schema = whole["properties"][field]
    found: dict[str, Any] = {}
    for variant in schema.get("anyOf", [schema]):
        if variant.get("type") == "null":
            continue
        found.update({key: value for key, value in variant.items() if key in LIMIT_KEYS})
        if "enum" in variant:
            found["enum"] = sorted(variant["enum"])
    return found


PAIRS = [
    (client.AssistantCreateParams, engine.CreateAssistant, field)
    for field in (
        "name", "description", "instructions", "tools", "temperature", "top_p",
        "reasoning_effort",
    )
] + [
    (client.RunCreateParams, engine.CreateRun, field)
    for field in (
        "instructions", "additional_instructions", "tools", "temperature", "top_p",
        "max_prompt_tokens", "max_completion_tokens", "reasoning_effort",
    )
] + [
    (client.FunctionDefinitionParam, engine.FunctionDefinition, "name"),
    (client.CodeInterpreterResourcesParam, engine.CodeInterpreterResources, "file_ids"),
    (client.FileSearchResourcesParam, engine.FileSearchResources, "vector_store_ids"),
    (client.FileSearchSettingsParam, engine.FileSearchOptions, "max_num_results"),
    (client.FileSearchRankingOptionsParam, engine.RankingOptions, "ranker"),
    (client.FileSearchRankingOptionsParam, engine.RankingOptions, "score_threshold"),
    (client.NamedToolChoiceParam, engine.NamedToolChoice, "type"),
    (client.TruncationStrategyParam, engine.Truncation, "type"),
    (client.TruncationStrategyParam, engine.Truncation, "last_messages"),
    (client.StaticChunkingParam, engine.StaticSizes, "max_chunk_size_tokens"),
    (client.StaticChunkingParam, engine.StaticSizes, "chunk_overlap_tokens"),
    (client.VectorStoreCreateParams, engine_files.CreateVectorStore, "file_ids"),
    (client.VectorStoreCreateParams, engine_files.CreateVectorStore, "name"),
    (client.VectorStoreCreateParams, engine_files.CreateVectorStore, "description"),
    (client.VectorStoreExpiresAfterParam, engine_files.ExpiresAfter, "days"),
    (client.FileBatchCreateParams, engine_files.CreateFileBatch, "file_ids"),
    (client.FileBatchCreateParams, engine_files.CreateFileBatch, "files"),
    (client.VectorStoreSearchParams, engine_files.Search, "query"),
    (client.VectorStoreSearchParams, engine_files.Search, "max_num_results"),
    (client.ComparisonFilterParam, engine_files.ComparisonFilter, "key"),
    (client.SearchRankingOptionsParam, engine_files.SearchRanking, "ranker"),
    (client.SearchRankingOptionsParam, engine_files.SearchRanking, "score_threshold"),
    (client.ComparisonFilterParam, engine_files.ComparisonFilter, "type"),
    (client.CompoundFilterParam, engine_files.CompoundFilter, "type"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("client_model", "engine_model", "field"),
    PAIRS,
    ids=[f"{c.__name__}.{f}" for c, _, f in PAIRS],
)
def test_the_client_and_the_engine_have_the_same_limit(client_model, engine_model, field):
    on_client = limits(client_model, field)
    assert on_client, f"the client's {client_model.__name__}.{field} has no limit to compare"
    assert on_client == limits(engine_model, field)


def _metadata_probes() -> list[tuple[str, dict[str, str], bool]]:
    """Metadata at each of the client's limits (allowed) and one past it (refused)."""
    pairs, key, value = (
        client.METADATA_MAX_PAIRS,
        client.METADATA_KEY_MAX,
        client.METADATA_VALUE_MAX,
    )
    return [
        ("pairs at the limit", {f"k{i}": "v" for i in range(pairs)}, True),
        ("one pair too many", {f"k{i}": "v" for i in range(pairs + 1)}, False),
        ("key at the limit", {"k" * key: "v"}, True),
        ("key too long", {"k" * (key + 1): "v"}, False),
        ("value at the limit", {"k": "v" * value}, True),
        ("value too long", {"k": "v" * (value + 1)}, False),
    ]


@pytest.mark.parametrize(
    ("metadata", "allowed"),
    [probe[1:] for probe in _metadata_probes()],
    ids=[probe[0] for probe in _metadata_probes()],
)
@pytest.mark.parametrize("side", ["client", "engine"])
def test_metadata_limits_agree(side, metadata, allowed):
    model = client.AssistantCreateParams if side == "client" else engine.CreateAssistant
    body = {"model": "gpt-4o", "metadata": metadata}
    if allowed:
        model.model_validate(body)
    else:
        with pytest.raises(ValidationError):
            model.model_validate(body)


def test_the_builder_uses_the_clients_limits():
    form = forms.AssistantForm()
    for field in ("name", "description", "instructions"):
        assert (
            form.fields[field].max_length
            == limits(client.AssistantCreateParams, field)["maxLength"]
        )
    for field in ("temperature", "top_p"):
        bounds = limits(client.AssistantCreateParams, field)
        assert (form.fields[field].min_value, form.fields[field].max_value) == (
            bounds["minimum"],
            bounds["maximum"],
        )
    efforts = [value for value, _ in form.fields["reasoning_effort"].choices if value]
    assert sorted(efforts) == limits(client.AssistantCreateParams, "reasoning_effort")["enum"]
    assert (
        forms.FunctionToolFormSet.max_num
        == limits(client.AssistantCreateParams, "tools")["maxItems"]
    )
    assert forms.MetadataFormSet.max_num == client.METADATA_MAX_PAIRS
