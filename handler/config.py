"""The service's settings: the engine's plus the API's and the drop folder's (options.py),
one typed object read once per process from `OCR_*` variables (providers.settings()). The
deployed environment (lambda_env.py, and through it the CDK stack) takes its defaults and
names from options.py, which loads no engine."""

from __future__ import annotations

from pydantic import field_validator

from ocr_engine.errors import InvalidParameter
from ocr_engine.formats import output_formats
from ocr_engine.settings import Settings, available_cores

from .options import ServiceOptions


# Settings' environment reading and configuration (prefix `OCR_`, frozen) hold for the
# service's fields too: of the two bases' model_config, the later one's is kept.
class ServiceSettings(ServiceOptions, Settings):

    @field_validator("output_formats")
    @classmethod
    def _known_formats(cls, names: str) -> str:
        try:
            output_formats(names)
        except InvalidParameter as exc:
            raise ValueError(exc.message) from None
        return names

    @property
    def inference_slots(self) -> int:
        return self.inference_workers or available_cores()
