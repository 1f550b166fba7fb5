"""Input validation shared by the services: pydantic models in, one readable refusal out."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.errors import ValidationFailed

M = TypeVar('M', bound=BaseModel)


def validated(model: type[M], data: M | dict[str, Any]) -> M:
    """The input as `model`, with pydantic's complaints turned into one refusal a user can read."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = {
            '.'.join(map(str, item['loc'])) or 'input': item['msg'].removeprefix('Value error, ')
            for item in error.errors()
        }
        name, message = next(iter(fields.items()))
        raise ValidationFailed(f'The {name.replace("_", " ")}: {message}.', fields) from None
