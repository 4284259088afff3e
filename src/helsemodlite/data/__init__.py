"""The offline data build: public sources and assumptions → the model-ready arrays
(``helsemodlite inputs build``), the estimation of P and E (statsmodels) and the calibration
(scipy). Nothing on the runtime path imports this package.
"""
