"""lstm_src: the numpy code behind "LSTM back-propagation, derived, coded and verified".

Modules, each small enough to read in one sitting:

- :mod:`lstm_src.activations` — stable sigmoid, tanh, softmax, log-softmax and their derivatives
- :mod:`lstm_src.layers` — the affine map every gate shares, the softmax output layer
- :mod:`lstm_src.loss` — cross-entropy and its gradient
- :mod:`lstm_src.lstm` — the LSTM forward pass (eq.1–eq.12) and its backward pass, one function per step
- :mod:`lstm_src.rnn` — the vanilla RNN and back-propagation through time
- :mod:`lstm_src.gradcheck` — finite-difference gradients and Jacobians, relative error, whole-model checks
- :mod:`lstm_src.validation` — the input checks behind every ValueError

Notation: column vectors, a batch of m examples as columns, time as the last
axis; x is (n_x, m, T_x), a0 is (n_a, m).
"""
from . import activations, gradcheck, layers, loss, lstm, rnn, validation  # noqa: F401

__version__ = "0.1.0"
