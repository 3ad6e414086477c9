import pytest

from analyzers.figures import search_trace_plot
from workbench.errors import ParameterError


def test_one_line_per_group_and_direction_and_an_epsilon_line(result):
    fig = search_trace_plot(result)
    names = sorted(trace.name for trace in fig.data)
    expected = sorted(f"{g} ({d})" for g in result.group_names for d in "+-")
    assert names == expected
    (epsilon_line,) = fig.layout.shapes
    assert epsilon_line.y0 == epsilon_line.y1 == pytest.approx(result.epsilon)
    assert epsilon_line.line.dash == "dash"


def test_lines_follow_the_accepted_steps(result):
    fig = search_trace_plot(result, groups="age")
    assert {trace.name for trace in fig.data} == {"age (+)", "age (-)"}
    plus = next(trace for trace in fig.data if trace.name == "age (+)")
    steps = result.trace.query("group == 'age' and direction == '+'")
    assert list(plus.x) == list(steps["mask"])
    assert list(plus.y) == list(steps["loss_increase"])


def test_unknown_group_raises_one_line(result):
    with pytest.raises(ParameterError, match="'height' is not in this result") as error:
        search_trace_plot(result, groups=["height"])
    assert "\n" not in str(error.value)


def test_trace_says_how_to_read_it(result):
    from analyzers.figures.reading import reading_of

    text = reading_of(search_trace_plot(result))
    for words in ("m > 1", "m < 1", "L − L*", "dashed line is ε", "flat"):
        assert words in text
