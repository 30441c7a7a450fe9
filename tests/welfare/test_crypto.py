"""SM4-GCM field encryption with key ids, and the HMAC-SM3 blind index (welfare/crypto.py)."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from welfare import crypto

K1 = "k1:" + "11" * 16
K2 = "k2:" + "22" * 16
INDEX = "33" * 32


def ring(text: str = K1, index: str = INDEX) -> crypto.KeyRing:
    current, keys = crypto.parse_encryption_keys(text)
    return crypto.KeyRing(current_id=current, keys=keys, index_key=crypto.parse_index_key(index))


def test_it_round_trips_a_value_under_the_current_key_id():
    value = crypto.encrypt("370402201503140012", ring=ring())
    assert value.startswith("k1:") and "370402201503140012" not in value
    assert crypto.decrypt(value, ring=ring()) == "370402201503140012"
    assert crypto.decrypt(crypto.encrypt("", ring=ring()), ring=ring()) == ""


def test_it_uses_a_fresh_nonce_for_every_value():
    assert crypto.encrypt("13800000000", ring=ring()) != crypto.encrypt("13800000000", ring=ring())


def test_it_stores_nonce_ciphertext_and_tag():
    raw = base64.b64decode(crypto.encrypt("370402201503140012", ring=ring())[3:])
    assert len(raw) == crypto.NONCE_BYTES + 18 + crypto.TAG_BYTES


def test_it_refuses_a_value_read_with_the_wrong_key():
    value = crypto.encrypt("370402201503140012", ring=ring())
    wrong = ring("k1:" + "44" * 16)
    with pytest.raises(crypto.CorruptValue):
        crypto.decrypt(value, ring=wrong)


def test_it_refuses_an_altered_value():
    value = crypto.encrypt("370402201503140012", ring=ring())
    raw = bytearray(base64.b64decode(value[3:]))
    raw[15] ^= 1
    with pytest.raises(crypto.CorruptValue):
        crypto.decrypt("k1:" + base64.b64encode(bytes(raw)).decode(), ring=ring())
    with pytest.raises(crypto.CorruptValue):
        crypto.decrypt("k1:not base64!", ring=ring())
    with pytest.raises(crypto.CorruptValue):
        crypto.decrypt("370402201503140012", ring=ring())


def test_it_names_an_unknown_key_id_in_chinese_and_english():
    value = crypto.encrypt("370402201503140012", ring=ring(K2))
    with pytest.raises(crypto.UnknownKeyId) as raised:
        crypto.decrypt(value, ring=ring(K1))
    assert raised.value.key_id == "k2"
    assert "未配置的密钥 'k2'" in str(raised.value) and "FIELD_ENCRYPTION_KEY" in str(raised.value)


def test_it_reads_old_values_after_a_new_current_key_is_added():
    old = crypto.encrypt("370402201503140012", ring=ring(K1))
    rotated = ring(f"{K2},{K1}")
    assert rotated.current_id == "k2"
    assert crypto.decrypt(old, ring=rotated) == "370402201503140012"
    assert crypto.encrypt("x", ring=rotated).startswith("k2:")
    assert not crypto.is_current(old, ring=rotated)


def test_its_blind_index_is_keyed_stable_and_separated_by_purpose():
    a = crypto.blind_index("370402201503140012", purpose="id_number", ring=ring(K1))
    assert a == crypto.blind_index("370402201503140012", purpose="id_number", ring=ring(f"{K2},{K1}"))
    assert len(a) == crypto.INDEX_HEX and "370402" not in a
    assert a != crypto.blind_index("370402201503140012", purpose="phone", ring=ring(K1))
    assert a != crypto.blind_index("370402201503140012", purpose="id_number", ring=ring(K1, "55" * 32))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "未设置字段加密密钥"),
        ("   ", "未设置字段加密密钥"),
        ("00" * 16, "缺少密钥编号"),
        ("K1:" + "00" * 16, "缺少密钥编号"),
        ("k1:" + "00" * 15, "32 位十六进制"),
        ("k1:" + "zz" * 16, "32 位十六进制"),
        (f"{K1},{K1}", "重复"),
    ],
)
def test_it_refuses_a_missing_or_malformed_key_with_a_clear_message(text, says):
    with pytest.raises(ImproperlyConfigured) as raised:
        crypto.parse_encryption_keys(text)
    assert says in str(raised.value) and "FIELD_ENCRYPTION_KEY" in str(raised.value)


@pytest.mark.parametrize("text", ["", "00" * 16, "xy" * 32])
def test_it_refuses_a_missing_or_malformed_index_key(text):
    with pytest.raises(ImproperlyConfigured, match="FIELD_INDEX_KEY"):
        crypto.parse_index_key(text)


def test_it_makes_a_new_key_in_the_setting_format():
    current, keys = crypto.parse_encryption_keys(crypto.new_encryption_key("k3"))
    assert current == "k3" and len(keys["k3"]) == 16


def test_the_installed_openssl_has_sm4_gcm_and_sm3():
    crypto.check_support()  # raises CryptoUnsupported (refusing to start) otherwise


def test_the_settings_keys_are_the_local_ones_in_the_suite():
    assert crypto.keyring().current_id == "local1"
