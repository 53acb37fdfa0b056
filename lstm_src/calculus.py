r"""The matrix-calculus toolkit of Part I, one function per result.

Each function is a formula the chapters of Part I derive and then check
against :func:`lstm_src.gradcheck.numerical_jacobian`:

- "The dot product as a summation": :func:`dot_as_sum`, :func:`dot_jacobian`,
  :func:`matvec_jacobian`, :func:`matvec_weight_jacobian`, :func:`matvec_weight_gradient`
- "Jacobians and layout": :func:`chain_jacobians`, :func:`jacobian_to_gradient`,
  :func:`trace_trick_gradient`
- "diag and the Hadamard derivative": :func:`diag`, :func:`hadamard_jacobian`,
  :func:`elementwise_jacobian`, :func:`row_times_diag`

Vectors are columns, shape (n, 1). Jacobians are in numerator layout: entry
(i, j) is the derivative of output i with respect to input j.
"""
import numpy as np

from .validation import as_float_array, check_shape

__all__ = [
    "dot_as_sum",
    "dot_jacobian",
    "matvec_jacobian",
    "matvec_weight_jacobian",
    "matvec_weight_gradient",
    "chain_jacobians",
    "jacobian_to_gradient",
    "trace_trick_gradient",
    "diag",
    "hadamard_jacobian",
    "elementwise_jacobian",
    "row_times_diag",
]


def _column(name, v, n=None):
    """``v`` as a float column vector (n, 1), or ValueError."""
    return check_shape(name, as_float_array(name, v), (n, 1), ("n", "1"))


def _matrix(name, M, rows=None, cols=None, labels=("rows", "cols")):
    return check_shape(name, as_float_array(name, M), (rows, cols), labels)


# ------------------------------------------------- The dot product as a summation


def dot_as_sum(a, b):
    r"""The dot product written out as the sum it is.

    .. math::
        \mathbf{a}^\top\mathbf{b} = \sum_{i=1}^{n} a_i b_i
        = \mathbf{1}^\top(\mathbf{a}\circ\mathbf{b})

    Equation dot-sum of the chapter below.

    Defined in: book/part1/dot_product.ipynb

    Parameters
    ----------
    a, b : ndarray (n, 1)

    Returns
    -------
    float
    """
    a = _column("a", a)
    b = _column("b", b, a.shape[0])
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i, 0] * b[i, 0]
    return float(total)


def dot_jacobian(b):
    r"""Jacobian of the dot product with respect to one factor.

    .. math:: \frac{\partial(\mathbf{a}^\top\mathbf{b})}{\partial\mathbf{a}} = \mathbf{b}^\top

    A scalar differentiated by a column of size n gives a row (1, n) in
    numerator layout. Equation dot-grad of the chapter below.

    Defined in: book/part1/dot_product.ipynb

    Parameters
    ----------
    b : ndarray (n, 1)
        The other factor.

    Returns
    -------
    ndarray (1, n)
    """
    return _column("b", b).T


def matvec_jacobian(W):
    r"""Jacobian of :math:`\mathbf{z} = \mathbf{W}^\top\mathbf{x}` with respect to x.

    .. math:: \frac{\partial(\mathbf{W}^\top\mathbf{x})}{\partial\mathbf{x}} = \mathbf{W}^\top

    Equation dot-matvec-x of the chapter below.

    Defined in: book/part1/dot_product.ipynb

    Parameters
    ----------
    W : ndarray (n_in, n_out)

    Returns
    -------
    ndarray (n_out, n_in)
    """
    return _matrix("W", W, labels=("n_in", "n_out")).T


def matvec_weight_jacobian(x, n_out):
    r"""Jacobian of :math:`\mathbf{z} = \mathbf{W}^\top\mathbf{x}` with respect to W, flattened.

    Entry i of z is the dot product of column i of W with x, so
    :math:`\partial z_i/\partial W_{pq} = x_p` when q = i and 0 otherwise.
    With the entries of W counted row by row (numpy's C order) this is a
    Kronecker product:

    .. math::
        \frac{\partial\mathbf{z}}{\partial\,\mathrm{vec}_\text{row}(\mathbf{W})}
        = \mathbf{x}^\top \otimes \mathbf{I}_{n_\text{out}}

    (the usual column-stacking vec gives :math:`\mathbf{I}_{n_\text{out}} \otimes \mathbf{x}^\top`).

    Equation dot-matvec-W of the chapter below.

    Defined in: book/part1/dot_product.ipynb

    Parameters
    ----------
    x : ndarray (n_in, 1)
    n_out : int
        Number of columns of W (the size of z).

    Returns
    -------
    ndarray (n_out, n_in * n_out)
    """
    x = _column("x", x)
    if (not isinstance(n_out, (int, np.integer))
            or isinstance(n_out, bool) or n_out < 1):
        raise ValueError("n_out must be a positive integer; "
                         f"got {n_out!r}")
    return np.kron(x.T, np.eye(n_out))


def matvec_weight_gradient(x, g):
    r"""Gradient of a scalar J with respect to W, when
    :math:`\mathbf{z} = \mathbf{W}^\top\mathbf{x}`.

    With :math:`\mathbf{g} = \nabla_{\mathbf{z}} J` (a column, the shape of z),

    .. math:: \nabla_{\mathbf{W}} J = \mathbf{x}\,\mathbf{g}^\top

    an outer product of the shape of W. With a batch (x and g holding m
    columns) the product sums the m outer products. Equation dot-weight-grad of the chapter below.

    Defined in: book/part1/dot_product.ipynb

    Parameters
    ----------
    x : ndarray (n_in, m)
    g : ndarray (n_out, m)

    Returns
    -------
    ndarray (n_in, n_out)
    """
    x = _matrix("x", x, labels=("n_in", "m"))
    g = _matrix("g", g, None, x.shape[1], labels=("n_out", "m"))
    return x @ g.T


# ---------------------------------------------------------- Jacobians and layout


def chain_jacobians(*jacobians):
    r"""The chain rule: the Jacobian of a composition is the product of the Jacobians.

    For :math:`J(\mathbf{y}(\mathbf{z}(\mathbf{x})))`, in numerator layout,

    .. math::
        \frac{\partial J}{\partial\mathbf{x}}
        = \frac{\partial J}{\partial\mathbf{y}}\,
          \frac{\partial\mathbf{y}}{\partial\mathbf{z}}\,
          \frac{\partial\mathbf{z}}{\partial\mathbf{x}}

    read left to right from the output back to the input: each factor has as
    many columns as the next has rows. Equation jac-chain of the chapter below.

    Defined in: book/part1/jacobians_and_layout.ipynb

    Parameters
    ----------
    *jacobians : ndarray (r_k, c_k), with c_k = r_{k+1}
        Outermost function first.

    Returns
    -------
    ndarray (r_1, c_last)
    """
    if not jacobians:
        raise ValueError(
            "chain_jacobians needs at least one Jacobian; got none")
    out = _matrix("Jacobian 1", jacobians[0])
    for k, jac in enumerate(jacobians[1:], start=2):
        jac = _matrix(f"Jacobian {k}", jac)
        if jac.shape[0] != out.shape[1]:
            raise ValueError(
                f"Jacobian {k} must have {out.shape[1]} rows (the "
                f"columns of the product before it, shape {out.shape}); "
                f"got shape {jac.shape}"
            )
        out = out @ jac
    return out


def jacobian_to_gradient(jac, shape):
    r"""Turn the Jacobian of a scalar J into its gradient, of the shape of the variable.

    In numerator layout :math:`\partial J/\partial\mathbf{z}` for a column z is a
    row (1, n); the gradient is its transpose,

    .. math:: \nabla_{\mathbf{z}} J = \left(\frac{\partial J}{\partial\mathbf{z}}\right)^\top

    More generally a row of one derivative per entry (entries counted in C
    order, as :func:`lstm_src.gradcheck.numerical_jacobian` counts them) is
    laid back into the variable's shape. Equation jac-grad of the chapter below.

    Defined in: book/part1/jacobians_and_layout.ipynb

    Parameters
    ----------
    jac : ndarray (1, N)
    shape : tuple of int
        The shape of the variable, with N entries.

    Returns
    -------
    ndarray of shape ``shape``
    """
    shape = tuple(shape)
    jac = _matrix("jac", jac, 1, int(np.prod(shape)), labels=("1", "N"))
    return jac.reshape(shape)


def trace_trick_gradient(G):
    r"""Read a gradient off a differential written as a trace.

    If, for every small change dX of a matrix X, :math:`dJ = \mathrm{tr}(\mathbf{G}\,d\mathbf{X})`,
    then, since :math:`\mathrm{tr}(\mathbf{G}\,d\mathbf{X}) = \sum_{ij} G_{ji}\,dX_{ij}`,

    .. math::
        \frac{\partial J}{\partial\mathbf{X}} = \mathbf{G}\
        \text{(numerator layout, the shape of } \mathbf{X}^\top),\qquad
        \nabla_{\mathbf{X}} J = \mathbf{G}^\top

    Equation jac-trace of the chapter below.

    Defined in: book/part1/jacobians_and_layout.ipynb

    Parameters
    ----------
    G : ndarray (q, p)
        The matrix in front of dX, for X of shape (p, q).

    Returns
    -------
    ndarray (p, q)
    """
    return _matrix("G", G, labels=("q", "p")).T


# ---------------------------------------------- diag and the Hadamard derivative


def diag(v):
    r"""The square matrix with the entries of v on its diagonal and zeros elsewhere.

    .. math:: \mathrm{diag}(\mathbf{v})_{ij} = v_i \text{ if } i = j, \text{ else } 0

    Each diagonal entry is its own entry of v; only when all entries of v
    are equal to one number s is it :math:`s\,\mathbf{I}`. Equation had-diag of the chapter below.

    Defined in: book/part1/diag_and_hadamard.ipynb

    Parameters
    ----------
    v : ndarray (n, 1)

    Returns
    -------
    ndarray (n, n)
    """
    v = _column("v", v)
    out = np.zeros((v.shape[0], v.shape[0]))
    out[np.arange(v.shape[0]), np.arange(v.shape[0])] = v[:, 0]
    return out


def hadamard_jacobian(y):
    r"""Jacobian of the Hadamard product :math:`\mathbf{x}\circ\mathbf{y}` with respect to x.

    Entry i of the product is :math:`x_i y_i`, which depends on :math:`x_i` alone:

    .. math::
        \frac{\partial(\mathbf{x}\circ\mathbf{y})}{\partial\mathbf{x}} = \mathrm{diag}(\mathbf{y})

    Equation had-hadamard of the chapter below.

    Defined in: book/part1/diag_and_hadamard.ipynb

    Parameters
    ----------
    y : ndarray (n, 1)
        The other factor.

    Returns
    -------
    ndarray (n, n)
    """
    return diag(y)


def elementwise_jacobian(f_prime, z):
    r"""Jacobian of a function applied entry by entry, :math:`\mathbf{h} = f(\mathbf{z})`.

    Entry i of h is :math:`f(z_i)`, so only the diagonal survives:

    .. math::
        \frac{\partial f(\mathbf{z})}{\partial\mathbf{z}} = \mathrm{diag}\big(f'(\mathbf{z})\big)

    Equation had-elementwise of the chapter below.

    Defined in: book/part1/diag_and_hadamard.ipynb

    Parameters
    ----------
    f_prime : callable
        The derivative of the one-variable function, applied entry by entry.
    z : ndarray (n, 1)

    Returns
    -------
    ndarray (n, n)
    """
    return diag(f_prime(_column("z", z)))


def row_times_diag(r, v):
    r"""A row vector times diag(v), computed as a Hadamard product.

    .. math:: \mathbf{r}\,\mathrm{diag}(\mathbf{v}) = \mathbf{r}\circ\mathbf{v}^\top

    Entry j of the product is :math:`\sum_i r_i\,\mathrm{diag}(\mathbf{v})_{ij} = r_j v_j`:
    no n-by-n matrix is needed. This is how every gate's gradient in Part III
    is computed. Equation had-row-diag of the chapter below.

    Defined in: book/part1/diag_and_hadamard.ipynb

    Parameters
    ----------
    r : ndarray (1, n)
        A row, e.g. :math:`\partial J/\partial\mathbf{h}` in numerator layout.
    v : ndarray (n, 1)

    Returns
    -------
    ndarray (1, n)
    """
    r = _matrix("r", r, 1, None, labels=("1", "n"))
    return r * _column("v", v, r.shape[1]).T
