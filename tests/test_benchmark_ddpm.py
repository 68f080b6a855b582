"""benchmarks/ddpm_browser.py without a browser: run_all runs it by default, and its table reports the
throttled run against the baseline of the same run."""

from benchmarks import ddpm_browser, run_all


def test_registered_in_run_all():
    assert "ddpm" in run_all.SECTIONS


def test_table_gives_the_ratio_to_the_unthrottled_run():
    row = {
        "viewport": "390×844",
        "steps": 1000,
        "end_t": 1,
        "step_ms_p95": 2.0,
        "total_s": 9.0,
        "fetch_ms": 80.0,
        "first_step_s": 0.5,
        "frame_ms_median": 17.0,
        "frame_ms_p95": 30.0,
        "frame_ms_max": 60.0,
    }
    result = {
        "results": [{**row, "rate": 1.0, "step_ms_median": 1.25}, {**row, "rate": 4.0, "step_ms_median": 5.0}],
        "loadavg": [1.0, 1.0, 1.0],
    }
    text = ddpm_browser.table(result)
    assert "| ×4 |" in text and "| 4.0× |" in text and "1000 (to t = 1)" in text
