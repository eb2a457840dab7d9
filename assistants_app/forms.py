from __future__ import annotations

import json
from typing import Any, get_args

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin
from django.core.validators import RegexValidator
from jsonschema import Draft202012Validator, SchemaError
from jsonschema.validators import validator_for
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from .services import InvalidRequestError
from .services.types import (
    ASSISTANT_TOOLS_MAX,
    DESCRIPTION_MAX,
    FUNCTION_NAME_MAX,
    FUNCTION_NAME_PATTERN,
    INSTRUCTIONS_MAX,
    METADATA_KEY_MAX,
    METADATA_MAX_PAIRS,
    METADATA_VALUE_MAX,
    NAME_MAX,
    AssistantCreateParams,
    ReasoningEffort,
    Temperature,
    TopP,
)


class NewAccountPasswordMixin(SetPasswordMixin):
    """Django's password checks, against the account the form is about to create."""

    def validate_new_password(self, field: str) -> None:
        cleaned = self.cleaned_data
        person = get_user_model()(
            username=cleaned.get("username", ""), email=cleaned.get("email", "")
        )
        self.validate_password_for_user(person, field)


class AdministratorForm(NewAccountPasswordMixin, forms.Form):
    """The first-run form: the administrator's username, email and a checked password."""

    error_messages = {"password_mismatch": "The two passwords differ."}

    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    email = forms.EmailField()
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        get_user_model().username_validator(username)
        return username

    def clean(self) -> dict:
        cleaned = super().clean()
        self.validate_passwords()
        if not self.has_error("password2", "password_mismatch"):
            self.validate_new_password("password1")
        return cleaned


# --- Assistant builder ------------------------------------------------------------------
# Every limit of the Assistants API is checked here, with a field error a person can act on,
# before anything is sent. The limits are the client's (services.types); the API's own answer
# is still shown if it disagrees.


def api_range(number_type: Any) -> tuple[float, float]:
    """The API's range for a number, read from the client's type (Temperature: 0 to 2)."""
    schema = TypeAdapter(number_type).json_schema()
    number = next(s for s in schema.get("anyOf", [schema]) if "maximum" in s)
    return number["minimum"], number["maximum"]


TEMPERATURE_RANGE, TOP_P_RANGE = api_range(Temperature), api_range(TopP)
REASONING_EFFORTS = list(get_args(ReasoningEffort))

_function_name = RegexValidator(
    FUNCTION_NAME_PATTERN,
    f"Use 1 to {FUNCTION_NAME_MAX} letters, digits, underscores or dashes (no spaces), "
    "e.g. get_weather.",
)


def _number_field(bounds: tuple[float, float], **kwargs: Any) -> forms.FloatField:
    """An optional number in the API's range, with a slider beside it (static/js/app.js)."""
    low, high = bounds
    return forms.FloatField(
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"step": "0.01", "data-slider": f"{low}-{high}"}),
        **kwargs,
    )


def _model_field(**kwargs: Any) -> forms.CharField:
    """A model name: suggestions from the connection's /models, any name accepted."""
    return forms.CharField(
        max_length=256,
        widget=forms.TextInput(attrs={"list": "model-choices", "autocomplete": "off"}),
        **kwargs,
    )


# Deeper JSON would make the meta-schema check recurse past Python's limit; and an API refuses a
# request nested too deeply as a whole (the built-in engine: 64 levels, with function parameters
# starting 4 down), so a schema stays well inside that.
SCHEMA_DEPTH_MAX = 32
_TOO_DEEP = f"This schema is nested more than {SCHEMA_DEPTH_MAX} levels deep; flatten it."


def json_depth(value: object) -> int:
    """How deeply objects and arrays nest in `value`, without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_schema(text: str, *, require_object: bool = False) -> dict:
    """A JSON Schema typed by a person, or a ValidationError saying where it is wrong."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            f"This is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from error
    except RecursionError as error:  # thousands deep: the parser itself gives up
        raise forms.ValidationError(_TOO_DEEP) from error
    if not isinstance(schema, dict):
        raise forms.ValidationError('A JSON Schema is an object: it starts with "{".')
    if json_depth(schema) > SCHEMA_DEPTH_MAX:
        raise forms.ValidationError(_TOO_DEEP)
    validator = validator_for(schema, default=Draft202012Validator)
    try:
        validator.check_schema(schema)
    except SchemaError as error:
        where = "at the top level" if not error.path else f"at {error.json_path}"
        raise forms.ValidationError(
            f"This is not a valid JSON Schema {where}: {error.message}."
        ) from error
    if require_object and schema and schema.get("type") != "object":
        raise forms.ValidationError(
            'Function parameters must describe an object: put "type": "object" at the top.'
        )
    return schema


SAMPLING_DEFAULT = 1.0  # the API's temperature and top_p when not set


def _unless_default(value: float | None) -> float | None:
    """A sampling value as the form shows it: the API reports an unset one as the default,
    which shown (and saved back) would set it; empty means the same and sets nothing."""
    return None if value == SAMPLING_DEFAULT else value


class CountedTextarea(forms.Textarea):
    """A text area with a live character count against the API's limit (static/js/app.js)."""

    def __init__(self, limit: int, attrs: dict | None = None) -> None:
        super().__init__({"data-count-limit": str(limit), **(attrs or {})})


class AssistantForm(forms.Form):
    """The assistant's own fields; function tools and metadata are formsets beside it."""

    RESPONSE_FORMATS = [
        ("auto", "Auto (the model decides)"),
        ("text", "Text"),
        ("json_object", "JSON object"),
        ("json_schema", "JSON matching a schema"),
    ]

    name = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"data-count-limit": str(NAME_MAX)}),
    )
    model = _model_field(
        help_text="Pick one the connection offers, or type any model name it accepts."
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=CountedTextarea(DESCRIPTION_MAX, {"rows": 2}),
    )
    instructions = forms.CharField(
        max_length=INSTRUCTIONS_MAX,
        required=False,
        strip=False,
        help_text="What the assistant should do and how it should answer.",
        widget=CountedTextarea(INSTRUCTIONS_MAX, {"rows": 10, "class": "large"}),
    )
    code_interpreter = forms.BooleanField(required=False, label="Code interpreter")
    file_search = forms.BooleanField(required=False, label="File search")
    temperature = _number_field(
        TEMPERATURE_RANGE,
        help_text="{} to {}. Lower is more focused, higher more varied. "
        "Empty: the default (1).".format(*TEMPERATURE_RANGE),
    )
    top_p = _number_field(
        TOP_P_RANGE,
        label="Top P",
        help_text="{} to {}. Change this or temperature, not both. Empty: the default (1).".format(
            *TOP_P_RANGE
        ),
    )
    response_format = forms.ChoiceField(choices=RESPONSE_FORMATS, initial="auto")
    json_schema_name = forms.CharField(
        required=False,
        label="Schema name",
        validators=[_function_name],
        help_text="Letters, digits, underscores or dashes, up to 64.",
    )
    json_schema_description = forms.CharField(
        required=False, label="Schema description", widget=forms.Textarea(attrs={"rows": 2})
    )
    json_schema_schema = forms.CharField(
        required=False,
        label="Response JSON Schema",
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
    )
    json_schema_strict = forms.BooleanField(required=False, label="Strict schema adherence")
    reasoning_effort = forms.ChoiceField(
        required=False,
        choices=[("", "Not set (the model's default)")] + [(e, e) for e in REASONING_EFFORTS],
        help_text="For reasoning models only.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # No maxlength attributes: an over-long value gets a field error naming the limit
        # (and a live count), rather than being cut off silently while typing or pasting.
        for name in ("name", "description", "instructions"):
            self.fields[name].widget.attrs.pop("maxlength", None)

    def clean_json_schema_schema(self) -> dict | None:
        text = self.cleaned_data["json_schema_schema"].strip()
        return parse_json_schema(text) if text else None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("response_format") == "json_schema":
            if not cleaned.get("json_schema_name") and "json_schema_name" not in self.errors:
                self.add_error("json_schema_name", "A JSON schema response format needs a name.")
            if (
                cleaned.get("json_schema_schema") is None
                and "json_schema_schema" not in self.errors
            ):
                self.add_error("json_schema_schema", "Type the JSON Schema the answers must match.")
        return cleaned

    def response_format_payload(self) -> str | dict:
        kind = self.cleaned_data["response_format"]
        if kind == "auto":
            return "auto"
        if kind != "json_schema":
            return {"type": kind}
        spec: dict = {
            "name": self.cleaned_data["json_schema_name"],
            "schema": self.cleaned_data["json_schema_schema"],
        }
        if self.cleaned_data["json_schema_strict"]:  # as for functions: unset unless ticked
            spec["strict"] = True
        if description := self.cleaned_data["json_schema_description"]:
            spec["description"] = description
        return {"type": "json_schema", "json_schema": spec}

    @staticmethod
    def initial_from(assistant: dict) -> dict:
        """Form values for an assistant object as the API returns it."""
        tools = assistant.get("tools") or []
        kinds = {tool.get("type") for tool in tools}
        initial = {
            "name": assistant.get("name") or "",
            "model": assistant.get("model") or "",
            "description": assistant.get("description") or "",
            "instructions": assistant.get("instructions") or "",
            "code_interpreter": "code_interpreter" in kinds,
            "file_search": "file_search" in kinds or "retrieval" in kinds,
            "temperature": _unless_default(assistant.get("temperature")),
            "top_p": _unless_default(assistant.get("top_p")),
            "reasoning_effort": assistant.get("reasoning_effort") or "",
            "response_format": "auto",
        }
        response_format = assistant.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type"):
            initial["response_format"] = response_format["type"]
            spec = response_format.get("json_schema") or {}
            initial["json_schema_name"] = spec.get("name", "")
            initial["json_schema_description"] = spec.get("description", "")
            if spec.get("schema") is not None:
                initial["json_schema_schema"] = json.dumps(spec["schema"], indent=2)
            initial["json_schema_strict"] = bool(spec.get("strict"))
        return initial


class FunctionToolForm(forms.Form):
    name = forms.CharField(max_length=FUNCTION_NAME_MAX, validators=[_function_name])
    description = forms.CharField(
        required=False,
        help_text="Tell the model when to call it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    parameters = forms.CharField(
        required=False,
        label="Parameters (JSON Schema)",
        help_text='Empty means "no parameters".',
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
    )
    strict = forms.BooleanField(
        required=False, help_text="The model must follow the schema exactly."
    )

    def clean_parameters(self) -> dict | None:
        text = self.cleaned_data["parameters"].strip()
        return parse_json_schema(text, require_object=True) if text else None

    def tool_payload(self) -> dict:
        function: dict = {"name": self.cleaned_data["name"]}
        if description := self.cleaned_data["description"]:
            function["description"] = description
        if self.cleaned_data["parameters"] is not None:
            function["parameters"] = self.cleaned_data["parameters"]
        if self.cleaned_data["strict"]:
            function["strict"] = True
        return {"type": "function", "function": function}

    @staticmethod
    def initial_from(tool: dict) -> dict:
        function = tool.get("function") or {}
        parameters = function.get("parameters")
        return {
            "name": function.get("name", ""),
            "description": function.get("description") or "",
            "parameters": json.dumps(parameters, indent=2) if parameters is not None else "",
            "strict": bool(function.get("strict")),
        }


class RowsFormSet(forms.BaseFormSet):
    """Rows a person adds, fills in or marks for removal; a row left blank is ignored."""

    def live_forms(self) -> list[forms.Form]:
        """Rows that are filled in and not marked for removal."""
        return [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]

    def first_repeated(self, field: str) -> str | None:
        """A value of `field` that two live rows share, if any."""
        seen: set[str] = set()
        for form in self.live_forms():
            if (value := form.cleaned_data[field]) in seen:
                return value
            seen.add(value)
        return None

    @classmethod
    def of(cls, form: type[forms.Form], max_num: int) -> type[forms.BaseFormSet]:
        """A formset of `form` rows, at most `max_num` of them, none shown until added."""
        return forms.formset_factory(
            form, formset=cls, extra=0, can_delete=True, max_num=max_num, validate_max=True
        )


class BaseFunctionToolFormSet(RowsFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if duplicate := self.first_repeated("name"):
            raise forms.ValidationError(f"Two functions are called {duplicate}: names must differ.")


FunctionToolFormSet = BaseFunctionToolFormSet.of(FunctionToolForm, ASSISTANT_TOOLS_MAX)


class MetadataForm(forms.Form):
    key = forms.CharField(max_length=METADATA_KEY_MAX)
    value = forms.CharField(max_length=METADATA_VALUE_MAX, required=False)


class BaseMetadataFormSet(RowsFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if len(self.live_forms()) > METADATA_MAX_PAIRS:
            raise forms.ValidationError(f"At most {METADATA_MAX_PAIRS} metadata pairs are allowed.")
        if (duplicate := self.first_repeated("key")) is not None:
            raise forms.ValidationError(f"The key {duplicate!r} appears twice: keys must differ.")

    def payload(self) -> dict[str, str]:
        return {f.cleaned_data["key"]: f.cleaned_data["value"] for f in self.live_forms()}


MetadataFormSet = BaseMetadataFormSet.of(MetadataForm, METADATA_MAX_PAIRS)

# Starter function tools a person can add with one click, then adapt.
FUNCTION_TEMPLATES: dict[str, dict] = {
    "get_weather": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "City and country, e.g. Paris, France",
                },
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
    "lookup_order": {
        "name": "lookup_order",
        "description": "Look up an order by its number and tell its status.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string", "description": "The order number"}},
            "required": ["order_id"],
        },
    },
    "send_email": {
        "name": "send_email",
        "description": "Send an email on the user's behalf (a person checks it first).",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "string", "description": "Recipient's email address"},
                "subject": {"type": "string"},
                "body": {"type": "string"},
            },
            "required": ["to", "subject", "body"],
        },
    },
    "blank": {"name": "", "description": "", "parameters": {"type": "object", "properties": {}}},
}


def function_template_initial(key: str) -> dict:
    template = FUNCTION_TEMPLATES[key]
    return FunctionToolForm.initial_from({"type": "function", "function": template})


IMPORT_MAX_BYTES = 2_000_000


class ImportAssistantForm(forms.Form):
    """An assistant object as JSON, pasted or in a file (an export, or a definition from code)."""

    text = forms.CharField(
        required=False,
        label="Paste the JSON",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code", "spellcheck": "false"}),
    )
    file = forms.FileField(required=False, label="Or choose a .json file")

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None and upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("This file is larger than 2 MB: it is not an assistant.")
        text = upload.read().decode("utf-8", "replace") if upload else cleaned.get("text", "")
        if not text.strip():
            raise forms.ValidationError("Paste an assistant's JSON or choose a file.")
        try:
            found = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            where = (
                f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
            )
            raise forms.ValidationError(f"This is not valid JSON{where}.") from error
        try:
            cleaned["builder"] = AssistantBuilder.from_api_object(found)
        except (AttributeError, TypeError, ValueError) as error:
            raise forms.ValidationError(
                "This JSON is not an assistant object: it should look like "
                '{"model": "…", "name": "…", "instructions": "…", "tools": […]}.'
            ) from error
        return cleaned


# --- Threads and chat --------------------------------------------------------------------


class NewThreadForm(forms.Form):
    assistant_id = forms.CharField(max_length=100, widget=forms.HiddenInput)


class RenameThreadForm(forms.Form):
    title = forms.CharField(max_length=120)


class MessageForm(forms.Form):
    """The composer, with the per-run advanced options folded away beside it."""

    content = forms.CharField(
        max_length=INSTRUCTIONS_MAX,
        strip=False,
        label="Message",
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "Write a message… (Enter sends, Shift+Enter: new line)",
            }
        ),
        error_messages={"required": "Type a message first."},
    )
    model = _model_field(required=False, help_text="Empty: the assistant's model.")
    additional_instructions = forms.CharField(
        max_length=INSTRUCTIONS_MAX,
        required=False,
        help_text="Added to the assistant's instructions for this run only.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    temperature = _number_field(TEMPERATURE_RANGE)
    tool_choice = forms.CharField(
        required=False,
        help_text="auto, none, required, or the name of one function to call.",
        widget=forms.TextInput(attrs={"list": "tool-choices", "autocomplete": "off"}),
    )

    def clean_content(self) -> str:
        # Browsers send a textarea's new lines as CRLF; the model (and a ```python block the
        # code interpreter runs) should see plain LF, as typed.
        content = self.cleaned_data["content"].replace("\r\n", "\n")
        if not content.strip():
            raise forms.ValidationError("Type a message first.")
        return content

    def clean_tool_choice(self) -> str | dict | None:
        choice = self.cleaned_data["tool_choice"].strip()
        if not choice:
            return None
        if choice in ("auto", "none", "required"):
            return choice
        if choice in ("code_interpreter", "file_search"):
            return {"type": choice}
        _function_name(choice)
        return {"type": "function", "function": {"name": choice}}

    def run_options(self) -> dict:
        """The per-run overrides that were set, as keyword arguments for runs.create."""
        options = {
            "model": self.cleaned_data["model"].strip(),
            "additional_instructions": self.cleaned_data["additional_instructions"],
            "temperature": self.cleaned_data["temperature"],
            "tool_choice": self.cleaned_data["tool_choice"],
        }
        return {key: value for key, value in options.items() if value not in (None, "")}


class ToolOutputsForm(forms.Form):
    """One output field per pending function call; all are submitted together."""

    def __init__(self, tool_calls: list[dict], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tool_calls = tool_calls
        for call in tool_calls:
            self.fields[f"output_{call['id']}"] = forms.CharField(
                required=False,
                strip=False,
                label=f"Output of {call['function']['name']}",
                widget=forms.Textarea(
                    attrs={"rows": 4, "class": "code", "data-json-hint": "1", "spellcheck": "false"}
                ),
            )

    def pairs(self) -> list[tuple[dict, forms.BoundField]]:
        """Each pending call with its output field, for the tool-call cards."""
        return [(call, self[f"output_{call['id']}"]) for call in self.tool_calls]

    def outputs(self) -> list[dict]:
        return [
            {"tool_call_id": call["id"], "output": self.cleaned_data[f"output_{call['id']}"]}
            for call in self.tool_calls
        ]


class AssistantBuilder:
    """The assistant form and its two formsets, edited, validated and turned into a request.

    Adding or removing a row is a round trip without JavaScript: the posted values become the
    initial values of an unbound copy with one row more or less, so no errors show yet.
    """

    def __init__(
        self,
        data=None,
        *,
        initial: dict | None = None,
        tools: list[dict] | None = None,
        metadata: list[dict] | None = None,
    ) -> None:
        if data is not None:
            # Every posted row counts as "extra": a row left blank is ignored, not an error.
            data = data.copy()
            data["fn-INITIAL_FORMS"] = data["meta-INITIAL_FORMS"] = "0"
        # Ids of their own: the test chat's composer beside it has a model and a temperature too.
        self.form = AssistantForm(data, initial=initial, auto_id="builder_%s")
        self.tools = FunctionToolFormSet(data, initial=tools, prefix="fn")
        self.metadata = MetadataFormSet(data, initial=metadata, prefix="meta")
        self.is_bound = data is not None

    @classmethod
    def for_assistant(cls, assistant: dict) -> AssistantBuilder:
        functions = [t for t in assistant.get("tools") or [] if t.get("type") == "function"]
        return cls(
            initial=AssistantForm.initial_from(assistant),
            tools=[FunctionToolForm.initial_from(tool) for tool in functions],
            metadata=[{"key": k, "value": v} for k, v in (assistant.get("metadata") or {}).items()],
        )

    def draft(self, action: str) -> AssistantBuilder:
        """An unbound copy with the posted values and `action` applied (add/remove a row)."""

        def values(form: forms.Form) -> dict:
            return {bf.name: bf.value() for bf in form}

        tools = [values(f) for f in self.tools.forms]
        metadata = [values(f) for f in self.metadata.forms]
        kind, _, arg = action.partition("-")
        if kind == "add_function":
            tools.append({})
        elif kind == "template" and arg in FUNCTION_TEMPLATES:
            tools.append(function_template_initial(arg))
        elif kind == "remove_function" and arg.isdigit() and int(arg) < len(tools):
            del tools[int(arg)]
        elif kind == "add_metadata" and len(metadata) < METADATA_MAX_PAIRS:
            metadata.append({})
        elif kind == "remove_metadata" and arg.isdigit() and int(arg) < len(metadata):
            del metadata[int(arg)]
        return AssistantBuilder(initial=values(self.form), tools=tools, metadata=metadata)

    @classmethod
    def from_api_object(cls, assistant: dict) -> AssistantBuilder:
        """A bound builder holding an assistant object as the API writes it (an export, or a
        definition from someone's code), to be validated exactly like a posted form."""

        def posted(values: dict, prefix: str = "") -> dict[str, str]:
            # As a browser posts them: a ticked box is "on", an unticked one is absent.
            return {
                f"{prefix}{key}": "on" if value is True else str(value)
                for key, value in values.items()
                if value not in (None, False)
            }

        functions = [t for t in assistant.get("tools") or [] if t.get("type") == "function"]
        pairs = list((assistant.get("metadata") or {}).items())
        data = posted(AssistantForm.initial_from(assistant))
        for number, tool in enumerate(functions):
            data |= posted(FunctionToolForm.initial_from(tool), f"fn-{number}-")
        for number, (key, value) in enumerate(pairs):
            data |= posted({"key": key, "value": value}, f"meta-{number}-")
        data |= {"fn-TOTAL_FORMS": str(len(functions)), "meta-TOTAL_FORMS": str(len(pairs))}
        return cls(data)

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.tools.is_valid() & self.metadata.is_valid()
        if not valid:
            return False
        # The client's request model is the last word on the API's limits.
        try:
            AssistantCreateParams.model_validate(self.payload())
        except PydanticValidationError as error:
            self.add_api_errors(InvalidRequestError(error).field_errors())
            return False
        return True

    @property
    def has_errors(self) -> bool:
        return self.is_bound and not (
            self.form.is_valid() and self.tools.is_valid() and self.metadata.is_valid()
        )

    def add_api_errors(self, errors: dict[str, list[str]]) -> None:
        """Put errors keyed by request field ("name", "tools", …) next to the right inputs."""
        for name, messages in errors.items():
            for message in messages:
                if name in self.form.fields:
                    self.form.add_error(name, message)
                elif name == "tools":
                    self.tools._non_form_errors.append(message)
                elif name == "metadata":
                    self.metadata._non_form_errors.append(message)
                elif name == "response_format":
                    self.form.add_error("json_schema_schema", message)
                else:
                    self.form.add_error(None, message)

    def run_overrides(self) -> dict:
        """What a run may override, as the form holds it now (call is_valid first): a test chat
        runs with it, saved or not. An emptied field is sent as what empty means (no
        instructions, the default sampling), since a missing override keeps the saved value."""
        body = self.payload(for_update=True)
        overrides = {
            "model": body["model"],
            "instructions": body["instructions"] or "",
            "tools": body["tools"],
            "temperature": SAMPLING_DEFAULT if body["temperature"] is None else body["temperature"],
            "top_p": SAMPLING_DEFAULT if body["top_p"] is None else body["top_p"],
            "response_format": body["response_format"],
        }
        if body["reasoning_effort"]:
            overrides["reasoning_effort"] = body["reasoning_effort"]
        return overrides

    def error_summary(self) -> list[str]:
        """Every error of the form and its rows, "Field: message", for a place away from it."""
        found: list[str] = []
        forms_ = [("", self.form), *(("Function: ", f) for f in self.tools.forms)]
        forms_ += [("Metadata: ", f) for f in self.metadata.forms]
        for where, form in forms_:
            for name, errors in form.errors.items():
                label = form.fields[name].label or name.replace("_", " ").capitalize()
                found += [f"{where}{label if name != '__all__' else ''}: {e}" for e in errors]
        found += list(self.tools.non_form_errors()) + list(self.metadata.non_form_errors())
        return found

    def payload(self, *, for_update: bool = False) -> dict:
        """The request body; on update, emptied fields are sent as null to clear them."""
        data = self.form.cleaned_data
        tools: list[dict] = []
        if data["code_interpreter"]:
            tools.append({"type": "code_interpreter"})
        if data["file_search"]:
            tools.append({"type": "file_search"})
        tools += [form.tool_payload() for form in self.tools.live_forms()]
        body = {
            "model": data["model"],
            "name": data["name"] or None,
            "description": data["description"] or None,
            "instructions": data["instructions"] or None,
            "tools": tools,
            "metadata": self.metadata.payload(),
            "temperature": data["temperature"],
            "top_p": data["top_p"],
            "response_format": self.form.response_format_payload(),
            "reasoning_effort": data["reasoning_effort"] or None,
        }
        if for_update:
            return body
        return {key: value for key, value in body.items() if value is not None}
