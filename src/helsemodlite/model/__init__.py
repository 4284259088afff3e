"""The runtime model (numpy only): inputs as arrays, the kernels and the one year loop, parameter
paths, a projection's arrays. Imports nothing of the package but :mod:`helsemodlite.dims` and
:mod:`helsemodlite.errors`.
"""
