"""How much of JAX's ``jax.numpy`` namespace jaxlite.numpy covers.

The names are JAX 0.10.2's public ``jax.numpy`` names, captured with
``python -c "import jax.numpy as jnp; print(sorted(n for n in dir(jnp)
if not n.startswith('_')))"`` and split into callables that are not classes
(FUNCTIONS) and everything else (dtypes, classes, index helpers, submodules).
The test reports what is missing and requires at least 95% of the functions.
"""
import jaxlite.numpy as jnp

FUNCTIONS = """
    abs absolute acos acosh add all allclose amax amin angle any append apply_along_axis
    apply_over_axes arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax
    argmin argpartition argsort argwhere around array array_equal array_equiv array_repr
    array_split array_str asarray asin asinh astype atan atan2 atanh atleast_1d
    atleast_2d atleast_3d average bartlett bincount bitwise_and bitwise_count
    bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
    bitwise_xor blackman block broadcast_arrays broadcast_shapes broadcast_to can_cast
    cbrt ceil choose clip column_stack compress concat concatenate conj conjugate
    convolve copy copysign corrcoef correlate cos cosh count_nonzero cov cross cumprod
    cumsum cumulative_prod cumulative_sum deg2rad degrees delete diag diag_indices
    diag_indices_from diagflat diagonal diff digitize divide divmod dot dsplit dstack
    ediff1d einsum einsum_path empty empty_like equal exp exp2 expand_dims expm1 extract
    eye fabs fill_diagonal flatnonzero flip fliplr flipud float_power floor floor_divide
    fmax fmin fmod frexp from_dlpack frombuffer fromfile fromfunction fromiter
    frompyfunc fromstring full full_like gcd geomspace get_printoptions gradient greater
    greater_equal hamming hanning heaviside histogram histogram2d histogram_bin_edges
    histogramdd hsplit hstack hypot i0 identity imag indices inner insert interp
    intersect1d invert isclose iscomplex iscomplexobj isdtype isfinite isin isinf isnan
    isneginf isposinf isreal isrealobj isscalar issubdtype iterable ix_ kaiser kron lcm
    ldexp left_shift less less_equal lexsort linspace load log log10 log1p log2
    logaddexp logaddexp2 logical_and logical_not logical_or logical_xor logspace
    mask_indices matmul matrix_transpose matvec max maximum mean median meshgrid min
    minimum mod modf moveaxis multiply nan_to_num nanargmax nanargmin nancumprod
    nancumsum nanmax nanmean nanmedian nanmin nanpercentile nanprod nanquantile nanstd
    nansum nanvar ndim negative nextafter nonzero not_equal ones ones_like outer
    packbits pad partition percentile permute_dims piecewise place poly polyadd polyder
    polydiv polyfit polyint polymul polysub polyval positive pow power printoptions prod
    promote_types ptp put put_along_axis quantile rad2deg radians ravel
    ravel_multi_index real reciprocal remainder repeat reshape resize result_type
    right_shift rint roll rollaxis roots rot90 round save savez searchsorted select
    set_printoptions setdiff1d setxor1d shape sign signbit sin sinc sinh size sort
    sort_complex spacing split sqrt square squeeze stack std subtract sum swapaxes take
    take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril
    tril_indices tril_indices_from trim_zeros triu triu_indices triu_indices_from
    true_divide trunc union1d unique unique_all unique_counts unique_inverse
    unique_values unpackbits unravel_index unstack unwrap vander var vdot vecdot vecmat
    vectorize vsplit vstack where zeros zeros_like
""".split()

OTHER_NAMES = """
    ComplexWarning bfloat16 bool bool_ c_ cdouble character complex128 complex64
    complex_ complexfloating csingle double dtype e euler_gamma fft finfo flexible
    float16 float32 float4_e2m1fn float64 float6_e2m3fn float6_e3m2fn float8_e3m4
    float8_e4m3 float8_e4m3b11fnuz float8_e4m3fn float8_e4m3fnuz float8_e5m2
    float8_e5m2fnuz float8_e8m0fnu float_ floating generic iinfo index_exp inexact inf
    int1 int16 int2 int32 int4 int64 int8 int_ integer linalg mgrid nan ndarray newaxis
    number object_ ogrid pi r_ s_ signedinteger single ufunc uint uint1 uint16 uint2
    uint32 uint4 uint64 uint8 unsignedinteger
""".split()

# Functions deliberately not provided yet, and why.
NOT_COVERED = {
    "sort_complex": "returns a complex array: waits for the complex dtypes",
}


def _missing(names):
    return [n for n in names if not hasattr(jnp, n)]


def test_report_and_function_coverage_at_least_95_percent():
    missing = _missing(FUNCTIONS)
    covered = len(FUNCTIONS) - len(missing)
    print(f"\njax.numpy functions covered: {covered} of {len(FUNCTIONS)} "
          f"({100 * covered / len(FUNCTIONS):.1f}%)")
    print(f"missing functions: {missing}")
    print(f"missing other names: {_missing(OTHER_NAMES)}")
    assert covered >= 0.95 * len(FUNCTIONS), f"missing: {missing}"


def test_every_missing_function_is_listed_with_a_reason():
    assert sorted(_missing(FUNCTIONS)) == sorted(
        n for n in NOT_COVERED if not hasattr(jnp, n)), (
        "a jax.numpy function is missing without a reason in NOT_COVERED")


def test_the_covered_names_are_callable():
    assert [n for n in FUNCTIONS if hasattr(jnp, n) and not callable(getattr(jnp, n))] == []
