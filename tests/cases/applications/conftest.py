"""The recognition tests read the English source messages, as the allowance tests do (the
suite's default language is zh-hans)."""

from tests.benefits.conftest import api_client, english_messages

__all__ = ["api_client", "english_messages"]
