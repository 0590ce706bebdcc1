"""sgxref.Machine: the emulator, the kernel and the driver as Python builds them
(DESIGN.md "The machine model"; docs/driver.md "Design alternatives")."""
import pytest

import sgxref


def test_default_options_are_linuxs_choices():
    """Rule: every alternative defaults to Linux's value (alternatives.h)."""
    m = sgxref.Machine()
    assert m.options == {
        "restrict.etrack": "per-page",
        "restrict.lock": "per-page",
        "reclaim.ipi-mask": "after-etrack",
        "eaug.via": "fault",
    }
    assert m.sgx2 is True
    assert len(m.cpus()) == 4


def test_alternative_choices_name_linuxs_value_first():
    """Rule: alternative_choices lists each name with Linux's value first."""
    choices = sgxref.alternative_choices()
    assert "restrict.etrack=per-page|batched" in choices
    assert "eaug.via=fault|ioctl" in choices


@pytest.mark.parametrize(
    "options",
    [{"restrict.etrack": "batched", "eaug.via": "ioctl"},
     ["restrict.etrack=batched", "eaug.via=ioctl"]])
def test_options_select_alternatives_by_name(options):
    """Rule: alternatives are set by NAME=VALUE, as a dict or a list of strings."""
    m = sgxref.Machine(options=options)
    assert m.options["restrict.etrack"] == "batched"
    assert m.options["eaug.via"] == "ioctl"
    assert m.options["restrict.lock"] == "per-page"


def test_an_unknown_alternative_is_a_value_error_listing_the_valid_names():
    """Rule: bad names raise ValueError listing the valid ones."""
    with pytest.raises(ValueError, match=r"unknown alternative 'restrict.etrak' \(one of "
                                         r"restrict.etrack, restrict.lock, reclaim.ipi-mask, "
                                         r"eaug.via\)"):
        sgxref.Machine(options={"restrict.etrak": "batched"})


def test_an_unknown_value_is_a_value_error_listing_the_valid_values():
    with pytest.raises(ValueError, match=r"unknown value 'batch' \(one of per-page, batched\)"):
        sgxref.Machine(options=["restrict.etrack=batch"])


def test_a_string_without_equals_is_a_value_error():
    with pytest.raises(ValueError, match="NAME=VALUE"):
        sgxref.Machine(options=["batched"])


@pytest.mark.parametrize("options", [5, "restrict.etrack=batched", [1], {"eaug.via": 1}])
def test_options_of_the_wrong_type_are_a_type_error(options):
    """Rule: bad argument types raise TypeError with a clear message."""
    with pytest.raises(TypeError, match="options"):
        sgxref.Machine(options=options)


@pytest.mark.parametrize("kwargs, message", [
    ({"epc_pages": 7}, "epc_pages takes 8 to 65536, got 7"),
    ({"epc_pages": 1 << 17}, "epc_pages takes 8 to 65536"),
    ({"epc_pages": -1}, "epc_pages must not be negative, got -1"),
    ({"cpus": 0}, "cpus takes 1 to 64, got 0"),
    ({"seed": -1}, "seed must not be negative"),
    ({"seed": 1 << 64}, "seed is beyond 2\\*\\*64-1"),
])
def test_out_of_range_machine_arguments_are_value_errors(kwargs, message):
    """Rule: values C++ cannot take are refused before C++ sees them."""
    with pytest.raises(ValueError, match=message):
        sgxref.Machine(**kwargs)


@pytest.mark.parametrize("kwargs", [{"epc_pages": 64.0}, {"seed": "1"}, {"cpus": None}])
def test_machine_arguments_of_the_wrong_type_are_type_errors(kwargs):
    with pytest.raises(TypeError):
        sgxref.Machine(**kwargs)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        sgxref.Machine(64)


def test_epc_stats_follow_the_watermark_rule():
    """DESIGN.md defaults: low = min(32, max(2, EPC/32)), high = 2 x low; a fresh EPC
    is all free and sanitized."""
    for pages in (64, 1024, 4096):
        s = sgxref.Machine(epc_pages=pages).epc_stats()
        low = min(32, max(2, pages // 32))
        assert (s["total_pages"], s["free_pages"]) == (pages, pages)
        assert (s["low_watermark"], s["high_watermark"]) == (low, 2 * low)
        assert s["sanitized"] and s["epcm_valid"] == 0 and s["lru_pages"] == 0


def test_the_machine_reports_its_configuration():
    m = sgxref.Machine(epc_pages=16, cpus=2, sgx2=False, seed=7)
    assert (m.epc_pages, len(m.cpus()), m.sgx2, m.seed) == (16, 2, False, 7)
