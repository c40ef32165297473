"""CPU detection: the flags that decide whether bf16 runs natively, read from /proc/cpuinfo."""

from __future__ import annotations

import pytest

from inception_course import cpu

AVX2_ONLY = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: avx512_bf16\n"
READ = cpu._cpuinfo  # the parser itself, given a file
SAPPHIRE_RAPIDS = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nflags\t\t: avx2 avx512f avx512_vnni amx_tile amx_bf16\n"


@pytest.mark.parametrize(("text", "native"), [(AVX2_ONLY, False), (SAPPHIRE_RAPIDS, True), ("", False)])
def test_native_bf16_is_read_from_the_first_processors_flags(tmp_path, monkeypatch, text, native):
    fake = tmp_path / "cpuinfo"
    fake.write_text(text)
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: READ(fake))
    assert cpu.has_native_bf16() is native
    info = cpu.cpu_info()
    assert info["native_bf16"] is native
    assert info["flags"]["avx2"] is bool(text)
    assert ("native bf16" in cpu.describe_cpu(info)) and (("no native bf16" in cpu.describe_cpu(info)) is not native)
