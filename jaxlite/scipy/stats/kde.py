"""gaussian_kde: a kernel density estimate with Gaussian kernels, a pytree
(so it passes through jit, vmap and grad) like JAX's."""
import math

import numpy as np

from jaxlite import numpy as jnp
from jaxlite import random, tree_util
from jaxlite.scipy import special
from jaxlite.scipy.stats import _common

__all__ = ["gaussian_kde"]


@tree_util.register_pytree_node_class
class gaussian_kde:
    """Gaussian KDE of ``dataset`` (shape (d, n), or (n,) for d = 1), with
    bandwidth ``bw_method`` ('scott', 'silverman', a scalar factor or a
    callable of the kde) and optional ``weights`` of the n points."""

    def __init__(self, dataset, bw_method=None, weights=None):
        dataset = jnp.atleast_2d(jnp.asarray(dataset))
        if jnp.iscomplexobj(dataset):
            raise NotImplementedError("gaussian_kde does not support complex data")
        if not dataset.size > 1:
            raise ValueError("`dataset` input should have multiple elements.")
        d, n = dataset.shape
        if weights is None:
            dataset, = _common.floats(dataset)
            weights = jnp.full(n, 1.0 / n, dtype=dataset.dtype)
        else:
            dataset, weights = _common.floats(dataset, weights)
            weights = jnp.atleast_1d(weights)
            if weights.ndim != 1:
                raise ValueError("`weights` input should be one-dimensional.")
            if len(weights) != n:
                raise ValueError("`weights` input should be of length n")
            weights = weights / jnp.sum(weights)
        self.dataset, self.weights = dataset, weights
        self.neff = 1.0 / jnp.sum(weights ** 2)
        bw_method = "scott" if bw_method is None else bw_method
        if isinstance(bw_method, str) and bw_method == "scott":
            factor = self.neff ** (-1.0 / (d + 4))
        elif isinstance(bw_method, str) and bw_method == "silverman":
            factor = (self.neff * (d + 2) / 4.0) ** (-1.0 / (d + 4))
        elif jnp.isscalar(bw_method) and not isinstance(bw_method, str):
            factor = bw_method
        elif callable(bw_method):
            factor = bw_method(self)
        else:
            raise ValueError("`bw_method` should be 'scott', 'silverman', a scalar, "
                             "or a callable.")
        data_cov = jnp.atleast_2d(jnp.cov(dataset, rowvar=True, bias=False, aweights=weights))
        self.covariance = data_cov * factor ** 2
        self.inv_cov = jnp.linalg.inv(data_cov) / factor ** 2

    def tree_flatten(self):
        return (self.neff, self.dataset, self.weights, self.covariance, self.inv_cov), None

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        kde = cls.__new__(cls)
        kde.neff, kde.dataset, kde.weights, kde.covariance, kde.inv_cov = children
        return kde

    @property
    def d(self):
        return self.dataset.shape[0]

    @property
    def n(self):
        return self.dataset.shape[1]

    def _reshape_points(self, points):
        points = jnp.atleast_2d(jnp.asarray(points))
        if jnp.iscomplexobj(points):
            raise NotImplementedError("gaussian_kde does not support complex coordinates")
        d, m = points.shape
        if d != self.d:
            if d == 1 and m == self.d:      # one point given as a flat vector
                return jnp.reshape(points, (self.d, 1))
            raise ValueError(f"points have dimension {d}, dataset has dimension {self.d}")
        return points

    def _log_kernels(self, points):
        """log N(x_i; data_j, covariance) for every point i and datum j,
        computed in the coordinates where the kernel is isotropic."""
        x = self._reshape_points(points)
        data, x, prec = _common.floats(self.dataset, x, self.inv_cov)
        whiten = jnp.linalg.cholesky(prec)
        data_w = data.T @ whiten
        x_w = x.T @ whiten
        log_norm = jnp.sum(jnp.log(jnp.diag(whiten))) - 0.5 * self.d * math.log(2 * math.pi)
        sq = jnp.sum((x_w[:, None, :] - data_w[None, :, :]) ** 2, axis=-1)
        return log_norm - 0.5 * sq

    def evaluate(self, points):
        """The density at ``points`` (shape (d, m))."""
        return jnp.sum(self.weights * jnp.exp(self._log_kernels(points)), axis=1)

    __call__ = evaluate
    pdf = evaluate

    def logpdf(self, x):
        """The log-density at ``x``, summed in log space (no underflow far out)."""
        return special.logsumexp(jnp.log(self.weights) + self._log_kernels(x), axis=1)

    def _convolve(self, summed, mean):
        # sum_j w_j N(mean; data_j, covariance + cov): ``summed`` is that covariance
        diff = self.dataset - mean[:, None]
        arg = 0.5 * jnp.sum(diff * jnp.linalg.solve(summed, diff), axis=0)
        norm = (2 * math.pi) ** (0.5 * self.d) * jnp.prod(jnp.diag(jnp.linalg.cholesky(summed)))
        return jnp.sum(jnp.exp(-arg) * self.weights) / norm

    def integrate_gaussian(self, mean, cov):
        """The integral of the density times the Gaussian N(mean, cov)."""
        mean = jnp.atleast_1d(jnp.squeeze(jnp.asarray(mean)))
        cov = jnp.atleast_2d(jnp.asarray(cov))
        if mean.shape != (self.d,):
            raise ValueError(f"mean does not have dimension {self.d}")
        if cov.shape != (self.d, self.d):
            raise ValueError(f"covariance does not have dimension {self.d}")
        return self._convolve(self.covariance + cov, mean)

    def integrate_box_1d(self, low, high):
        """The probability mass between scalars ``low`` and ``high`` (d = 1 only)."""
        if self.d != 1:
            raise ValueError("integrate_box_1d() only handles 1D pdfs")
        if np.ndim(low) != 0 or np.ndim(high) != 0:
            raise ValueError("the limits of integration in integrate_box_1d must be scalars")
        sigma = jnp.squeeze(jnp.sqrt(self.covariance))
        lo = jnp.squeeze((low - self.dataset) / sigma)
        hi = jnp.squeeze((high - self.dataset) / sigma)
        return jnp.sum(self.weights * (special.ndtr(hi) - special.ndtr(lo)))

    def integrate_kde(self, other):
        """The integral of the product of this density and ``other``'s."""
        if other.d != self.d:
            raise ValueError("KDEs are not the same dimensionality")
        summed = self.covariance + other.covariance
        # loop (in Python, unrolled) over the smaller dataset's points
        small, large = (self, other) if self.n < other.n else (other, self)
        terms = [large._convolve(summed, small.dataset[:, j]) for j in range(small.n)]
        return jnp.sum(jnp.stack(terms) * small.weights)

    def resample(self, key, shape=()):
        """Draws from the estimate: a data point chosen by weight plus kernel
        noise; the result has shape (d,) + shape."""
        ind_key, eps_key = random.split(key)
        ind = random.choice(ind_key, self.n, shape=shape, p=self.weights)
        eps = random.multivariate_normal(eps_key, jnp.zeros(self.d, self.covariance.dtype),
                                         self.covariance, shape=shape,
                                         dtype=self.dataset.dtype)
        return self.dataset[:, ind] + jnp.moveaxis(eps, -1, 0)

    def integrate_box(self, low_bounds, high_bounds, maxpts=None):
        """Not in JAX's interface either (JAX raises the same error)."""
        raise NotImplementedError(
            "only 1D box integrations are supported; use `integrate_box_1d`")

    def set_bandwidth(self, bw_method=None):
        """Not in JAX's interface either (JAX raises the same error)."""
        raise NotImplementedError("dynamically changing the bandwidth method is not supported")
