"""lstm_src: the numpy code behind "LSTM back-propagation, derived, coded and verified".

Modules, each small enough to read in one sitting:

- :mod:`lstm_src.activations` — stable sigmoid, tanh, softmax, log-softmax and their derivatives
- :mod:`lstm_src.layers` — the affine map every gate shares, the softmax output layer
- :mod:`lstm_src.loss` — cross-entropy and its gradient
- :mod:`lstm_src.lstm` — the LSTM forward pass (eq.1–eq.12) and its backward pass, one function
  per step
- :mod:`lstm_src.fast` — the same LSTM, same contract and numbers, fast (stacked gates,
  whole-sequence products)
- :mod:`lstm_src.gru` — the GRU (PyTorch's form and Cho et al.'s), forward
  and backward
- :mod:`lstm_src.deep` — deep, bidirectional and padded LSTMs from the layer
  functions
- :mod:`lstm_src.peephole` — the LSTM with peephole connections (Gers and
  Schmidhuber, 2000)
- :mod:`lstm_src.rnn` — the vanilla RNN and back-propagation through time
- :mod:`lstm_src.gradcheck` — finite-difference gradients and Jacobians, relative error,
  whole-model checks
- :mod:`lstm_src.calculus` — the matrix-calculus toolkit of Part I (dot product, Jacobians and
  layout, diag and Hadamard)
- :mod:`lstm_src.training` — gradient clipping by global norm, a small sequence task, SGD and
  Adam steps
- :mod:`lstm_src.text` — a text corpus (the standard library's source, or a file), its
  vocabulary, windows for truncated BPTT
- :mod:`lstm_src.charmodel` — a character model: training with truncated BPTT, validation,
  sampling, checkpoints
- :mod:`lstm_src.train` — the command line ``python -m lstm_src.train`` (needs tqdm; not
  imported with the package)
- :mod:`lstm_src.convert` — the same LSTM in the PyTorch, Ng, CS231n and Keras layouts
- :mod:`lstm_src.diagrams` — the LSTM block's data flow and gradient flow (needs matplotlib)
- :mod:`lstm_src.feedback` — diagnostic checks behind the graded exercises
- :mod:`lstm_src.validation` — the input checks behind every ValueError

Notation: column vectors, a batch of m examples as columns, time as the last
axis; x is (n_x, m, T_x), a0 is (n_a, m).
"""
# Imported so that `import lstm_src` gives every module as an attribute (pyproject.toml lets
# ruff know these are re-exports, in this order).
from . import activations, calculus, convert, gradcheck, layers, loss, lstm, rnn, training
from . import validation
from . import charmodel, text
from . import feedback  # after the modules it checks against
from . import fast  # after lstm, whose checks it shares
from . import gru  # after lstm, whose gate backward it shares
from . import deep, peephole  # built on lstm's layer and step functions

__version__ = "0.1.0"
