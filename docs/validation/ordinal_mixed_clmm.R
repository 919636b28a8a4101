# R's ordinal::clmm on the data the Python side fits (docs/validation/ordinal_mixed_compare.py):
#   Rscript docs/validation/ordinal_mixed_clmm.R <out.json> <sim.csv> [<dir with example_<item>.csv>]
# sim.csv has columns g, x1, x2, y; an example file has y, REL, FAC, PRO, ORG, wave, partnership_id
# (the analysed rows of one declared ordinal_mixed model). Each model is fitted twice: with clmm's
# defaults, and "tight" (inner gradTol 1e-10, nlminb rel.tol and x.tol 1e-14) so that the estimates
# are not limited by R's stopping rules (see docs/validation-models.md).
suppressPackageStartupMessages({library(ordinal); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]

summarise <- function(m) {
  list(coef = as.list(coef(m)), se = as.list(sqrt(diag(vcov(m)))[names(coef(m))]),
       sd = unname(sqrt(VarCorr(m)[[1]][1, 1])), loglik = as.numeric(logLik(m)),
       n_obs = nobs(m), n_groups = unname(m$dims$nlev.re), max_grad = max(abs(m$gradient)))
}

fit_both <- function(formula, data, nagq) {
  tight <- clmm.control(gradTol = 1e-10, rel.tol = 1e-14, x.tol = 1e-14, innerCtrl = "noWarn")
  list(default = summarise(clmm(formula, data = data, link = "logit", nAGQ = nagq)),
       tight = summarise(clmm(formula, data = data, link = "logit", nAGQ = nagq, control = tight)),
       nagq = nagq)
}

fits <- list()
sim <- read.csv(args[2])
sim$y <- factor(sim$y, ordered = TRUE)
sim$g <- factor(sim$g)
fits$sim_laplace <- fit_both(y ~ x1 + x2 + (1 | g), sim, 1)
fits$sim_agq7 <- fit_both(y ~ x1 + x2 + (1 | g), sim, 7)

if (length(args) >= 3) {
  for (item in c("dur_continue", "dur_embedded", "dur_commitment")) {
    d <- read.csv(file.path(args[3], paste0("example_", item, ".csv")))
    d$y <- factor(d$y, ordered = TRUE)
    d$wave <- factor(d$wave)
    d$partnership_id <- factor(d$partnership_id)
    f <- y ~ REL + FAC + PRO + ORG + wave + (1 | partnership_id)
    fits[[paste0("example_", item, "_laplace")]] <- fit_both(f, d, 1)
    if (item == "dur_continue") fits[[paste0("example_", item, "_agq7")]] <- fit_both(f, d, 7)
  }
}
fits$versions <- list(R = R.version.string, ordinal = as.character(packageVersion("ordinal")))
write_json(fits, out, auto_unbox = TRUE, digits = NA, pretty = TRUE)
