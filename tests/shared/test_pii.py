import base64
import logging

import pytest

from shared import pii

SECRET = "test-secret-for-pii-000000000000"


@pytest.fixture
def keys() -> tuple[bytes, bytes]:
    return pii.keys_from_secret(SECRET)


def test_encrypted_token_is_versioned_and_round_trips(keys):
    token = pii.encrypt("张三", key=keys[0])
    assert token.startswith("v1:")
    assert "张三" not in token
    assert pii.decrypt(token, key=keys[0]) == "张三"


def test_equal_plaintexts_give_different_tokens(keys):
    assert pii.encrypt("13812345678", key=keys[0]) != pii.encrypt("13812345678", key=keys[0])


def test_token_under_another_key_is_rejected(keys):
    other, _ = pii.keys_from_secret("another-secret")
    with pytest.raises(pii.InvalidPiiToken):
        pii.decrypt(pii.encrypt("张三", key=keys[0]), key=other)


def test_tampered_token_is_rejected(keys):
    token = pii.encrypt("张三", key=keys[0])
    raw = bytearray(base64.b64decode(token[3:]))
    raw[-1] ^= 1
    with pytest.raises(pii.InvalidPiiToken):
        pii.decrypt("v1:" + base64.b64encode(bytes(raw)).decode(), key=keys[0])


def test_unknown_token_version_is_rejected(keys):
    with pytest.raises(pii.InvalidPiiToken):
        pii.decrypt("v9:AAAA", key=keys[0])


def test_derived_keys_differ_per_purpose_and_are_stable():
    encryption, index = pii.keys_from_secret(SECRET)
    assert encryption != index and len(encryption) == 32 and len(index) == 32
    assert pii.keys_from_secret(SECRET) == (encryption, index)


def test_explicit_pii_key_is_used_for_encryption():
    explicit = base64.b64encode(bytes(range(32))).decode()
    encryption, index = pii.keys_from_secret(SECRET, explicit)
    assert encryption == bytes(range(32))
    assert index != encryption


def test_malformed_explicit_key_is_refused():
    with pytest.raises(pii.InvalidPiiKey):
        pii.keys_from_secret(SECRET, base64.b64encode(b"short").decode())
    with pytest.raises(pii.InvalidPiiKey):
        pii.keys_from_secret(SECRET, "not base64 !!")


def test_blind_index_matches_normalised_forms(keys):
    index_key = keys[1]
    assert pii.blind_index("138 1234-5678", key=index_key) == pii.blind_index("+8613812345678", key=index_key)
    assert pii.blind_index("33090319900101123x", key=index_key) == pii.blind_index(
        "33090319900101123X", key=index_key
    )
    assert pii.blind_index("13812345678", key=index_key) != pii.blind_index("13812345679", key=index_key)
    assert "13812345678" not in pii.blind_index("13812345678", key=index_key)


def test_blind_index_depends_on_key(keys):
    other = pii.keys_from_secret("another-secret")[1]
    assert pii.blind_index("13812345678", key=keys[1]) != pii.blind_index("13812345678", key=other)


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李"), ("", "")]
)
def test_mask_name_keeps_family_name(name, masked):
    assert pii.mask_name(name) == masked


def test_mask_phone_and_id_number():
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("0580-301234") == "******1234"
    assert pii.mask_id_number("330903199001011234") == "330903********1234"
    assert pii.mask_id_number("E12345678") == "E1*****78"


def test_redact_masks_id_and_mobile_but_keeps_microgrid_codes():
    text = "person 330903199001011234 phone 13812345678 in microgrid 330903001001001001"
    assert pii.redact(text) == "person 330903********1234 phone 138****5678 in microgrid 330903001001001001"


def test_logging_filter_masks_formatted_messages(caplog):
    logger = logging.getLogger("test.pii")
    logger.addFilter(pii.PiiRedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.pii"):
            logger.info("registered %s with %s", "330903199001011234", "13812345678")
    finally:
        logger.filters.clear()
    assert caplog.messages == ["registered 330903********1234 with 138****5678"]
