"""What each assignment's answers may not use: the lstm_src functions that compute what it asks.

In the grading build of lstm_src (:mod:`grading.sandbox_build`) every function
listed here for an assignment is replaced by a tripwire that records the call
and raises, so an answer cannot get its result from the reference by any route
(a direct call, an alias captured earlier, a reload, a copied code object, the
source read from disk). A function not listed stays real (e.g.
``lstm.lstm_cell_forward`` in 03_lstm_backward). A forbidden function called by
a real one trips too (e.g. ``rnn.rnn_forward`` calls ``rnn._cell_forward``).

Names are ``module.function`` inside lstm_src; ``module.*`` is every function
of the module (and of its classes). ``feedback`` (the checks and the correct
versions of earlier answers) and ``fast`` (when the package has it) are
forbidden in every assignment.
"""

EVERYWHERE = ["feedback.*", "fast.*"]

FORWARD = [
    "activations.sigmoid",
    "activations.softmax",
    "activations.log_softmax",
    "activations.tanh",
    "activations._shift_by_max",
    "layers.affine_forward",
    "layers.output_layer_forward",
    "lstm.cell_state",
    "lstm.hidden_state",
    "lstm._cell_forward",
    "lstm.lstm_cell_forward",
    "lstm.lstm_forward",
    "lstm._sequence_forward",
    "lstm._forward_loop",
    "lstm.lstm_layer_forward",
    "rnn._cell_forward",
    "rnn.rnn_cell_forward",
    "rnn.rnn_forward",
    # the same forward passes by another route (zero peepholes are the LSTM)
    "lstm.lstm_layer_forward",
    "peephole._cell_forward",
    "peephole.peephole_cell_forward",
    "peephole.peephole_forward",
    "deep.stack_forward",
]

BACKWARD = [
    "activations.sigmoid_backward",
    "activations.tanh_backward",
    "layers.affine_weight_grads",
    "layers.affine_input_grads",
    "layers.output_layer_backward",
    "loss.cross_entropy_grad_y_hat",
    "loss.softmax_cross_entropy_backward",
    "lstm.hidden_state_grad",
    "lstm.hidden_state_backward",
    "lstm.cell_state_backward",
    "lstm.sigmoid_gate_backward",
    "lstm.candidate_backward",
    "lstm.previous_state_grads",
    "lstm.lstm_cell_backward",
    "lstm.lstm_layer_backward",
    "lstm.lstm_backward",
    "rnn.rnn_cell_backward",
    "rnn.rnn_backward",
    "lstm.lstm_layer_backward",
    "peephole.peephole_grads",
    "peephole.peephole_cell_backward",
    "peephole.peephole_backward",
    "deep.stack_backward",
]

#: The GRU's backward steps (its forward is given in 05_gru_backward).
GRU_BACKWARD = [
    "gru.gru_hidden_state_backward",
    "gru.reset_candidate_backward",
    "gru.cho_candidate_backward",
    "gru.gru_previous_state_grads",
    "gru.gru_cell_backward",
    "gru.gru_layer_backward",
    "gru.gru_backward",
]

CALCULUS = [
    "calculus.*",
    "gradcheck.numerical_gradient",
    "gradcheck.numerical_jacobian",
    "gradcheck.check_model_gradients",
]

TRAINING = [
    "training.*",
    "charmodel.*",
    "train.*",
    "loss.cross_entropy",
]

#: {assignment stem: forbidden functions}; the masters' prompts say the same in words.
FORBIDDEN = {
    "01_matrix_calculus": CALCULUS + BACKWARD + EVERYWHERE,
    "02_lstm_forward": FORWARD + EVERYWHERE,
    "03_lstm_backward": BACKWARD + CALCULUS + EVERYWHERE,
    "04_rnn_bptt": [f for f in FORWARD if f.startswith(("rnn.", "layers.", "lstm."))]
    + [
        "activations.softmax",
        "activations.tanh",
        "activations._shift_by_max",
        "activations.log_softmax",
    ]
    + BACKWARD
    + CALCULUS
    + EVERYWHERE,
    # the GRU's forward is given; every backward function, the LSTM's that could be adapted too
    "05_gru_backward": GRU_BACKWARD + BACKWARD + CALCULUS + EVERYWHERE,
    # the LSTM's forward and backward passes are given; training, evaluating, sampling are asked
    "06_training": TRAINING + EVERYWHERE,
}


#: Rule 'derive' (grading/derive.py): {assignment stem: {function: probe kind}}. Each listed
#: function is also refused a call-back to a forbidden function (e.g. one a cache carries).
#: Each listed
#: backward function must compute its gradients from the cache it is given; after its tests
#: pass, the checker asks it for the gradients of a probe cache (gates that are not what the
#: parameters give) and scores the question 0 when it re-runs the forward pass instead.
DERIVE = {
    "03_lstm_backward": {"cell_backward": "lstm_cell", "lstm_backward": "lstm_sequence"},
    "04_rnn_bptt": {"rnn_step_backward": "rnn_cell", "rnn_bptt": "rnn_sequence"},
    # q1-q3 are given local values only, no parameters to re-run a
    # forward pass with: no probe
    "05_gru_backward": {
        "candidate_backward": "gru_candidate",
        "gru_step_backward": "gru_cell",
        "gru_bptt": "gru_sequence",
    },
}

#: Automatic (and symbolic) differentiation libraries: absent from every sandbox (their
#: folders are hidden and an import fails, naming rule 'derive'); student.py keeps the same list.
#: Answers that may hold text beside their numbers (the rest must be real
#: floating-point numbers or arrays): 06's trained model returns its
#: vocabulary, a str, with its parameters.
TEXT_ANSWERS = {
    "06_training": {"train_char_model"},
}

AUTODIFF = ("torch", "functorch", "jax", "jaxlib", "autograd", "tensorflow", "sympy")


def forbidden(stem):
    """The forbidden list of an assignment (e.g. ``03_lstm_backward``); everything if unknown."""
    if stem in FORBIDDEN:
        return FORBIDDEN[stem]
    return sorted(set(FORWARD + BACKWARD + GRU_BACKWARD + CALCULUS + TRAINING + EVERYWHERE))
