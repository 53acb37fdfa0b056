r"""Diagnostic feedback for the graded exercises in ``exercises/``.

Every ``check_*`` function runs a student's function on several random
shapes (the sizes n_x, n_a, n_y and m all differ, so a missing transpose
cannot hide), compares the result with this package's reference, and raises
:class:`AssertionError` with a message that says *what* is wrong: which
output, expected versus received shape, which gradients are off and which
gate or equation to revisit, and the usual slips it recognises (a transpose,
a factor m, a sign, two gates swapped, the t+1 component dropped). The otter
test files of the exercises call these functions, so they stay one line long.

``seeds`` chooses the random problems: public tests use a couple, hidden
tests more, plus edge cases (m = 1, T_x = 1, extreme logits).

Modules: the shared machinery, ``._calling`` (calling a student's function
with copies of its inputs and a time limit), ``._reports`` (comparing arrays
and gradients with the reference and naming the slip) and ``._problems``
(random problems, and the wrong loops through time it recognises); one module
per assignment (``.matrix_calculus``, ``.lstm_forward``,
``.lstm_backward``, ``.rnn_bptt``, ``.gru_backward``, ``.training``), and
``._correct``, the correct
versions of earlier answers that a later question's checks give its function
(``._calling.with_correct``), so that one slip costs points once.
"""

from ._problems import random_sizes
from ._reports import GATE_HINTS, TOL, check_array, check_grads, check_grads_ok
from .gru_backward import (
    check_candidate_backward,
    check_gate_backward,
    check_gru_bptt,
    check_gru_step_backward,
    check_interpolation_backward,
    check_output_grads,
)
from .lstm_backward import (
    check_candidate_grads,
    check_cell_backward,
    check_gradient_check,
    check_lstm_backward,
    check_sigmoid_gate_grads,
    check_softmax_ce_grad,
)
from .lstm_forward import (
    check_cell_forward,
    check_cell_update,
    check_gates,
    check_sequence_forward,
    check_sigmoid,
    check_softmax,
)
from .matrix_calculus import (
    check_dot_gradient,
    check_elementwise_jacobian,
    check_finite_difference_jacobian,
    check_hadamard_jacobians,
    check_linear_map_gradients,
)
from .rnn_bptt import check_hidden_jacobian, check_rnn_bptt, check_rnn_step, check_rnn_step_backward
from .training import (
    check_adam_step,
    check_clip_by_global_norm,
    check_evaluate,
    check_sample_indices,
    check_tbptt_gradients,
    check_train_char_model,
)

__all__ = [
    "check_candidate_backward",
    "check_gate_backward",
    "check_gru_bptt",
    "check_gru_step_backward",
    "check_interpolation_backward",
    "check_output_grads",
    "check_adam_step",
    "check_clip_by_global_norm",
    "check_evaluate",
    "check_sample_indices",
    "check_tbptt_gradients",
    "check_train_char_model",
    "GATE_HINTS",
    "TOL",
    "check_array",
    "check_candidate_grads",
    "check_cell_backward",
    "check_cell_forward",
    "check_cell_update",
    "check_dot_gradient",
    "check_elementwise_jacobian",
    "check_finite_difference_jacobian",
    "check_gates",
    "check_gradient_check",
    "check_grads",
    "check_grads_ok",
    "check_hadamard_jacobians",
    "check_hidden_jacobian",
    "check_linear_map_gradients",
    "check_lstm_backward",
    "check_rnn_bptt",
    "check_rnn_step",
    "check_rnn_step_backward",
    "check_sequence_forward",
    "check_sigmoid",
    "check_sigmoid_gate_grads",
    "check_softmax",
    "check_softmax_ce_grad",
    "random_sizes",
]
