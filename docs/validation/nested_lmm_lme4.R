# Reference fits of the nested random-intercept model with lme4, recorded for the Python tests.
#   Rscript docs/validation/nested_lmm_lme4.R    (from the repository root)
# Reads tests/data/nested_lmm_lme4_{main,boundary}.csv (docs/validation/nested_lmm_make_data.py)
# and writes tests/data/nested_lmm_lme4_results.json.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

fit_one <- function(df, reml) {
  df$wave <- factor(df$wave)
  ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5),
                      check.conv.singular = "ignore")
  m <- lmer(y ~ x1 + x2 + wave + (1 | region/partnership_id), data = df, REML = reml, control = ctrl)
  vc <- as.data.frame(VarCorr(m))
  fe <- fixef(m)
  se <- sqrt(diag(as.matrix(vcov(m))))
  # lme4 names wave levels "wave2024"; the Python side uses patsy's "C(wave)[T.2024]"
  nm <- sub("^wave([0-9]+)$", "C(wave)[T.\\1]", sub("^\\(Intercept\\)$", "Intercept", names(fe)))
  list(
    method = if (reml) "REML" else "ML",
    params = as.list(setNames(unname(fe), nm)),
    bse = as.list(setNames(unname(se), nm)),
    sigma2 = list(
      region = vc$vcov[vc$grp == "region"],
      partnership = vc$vcov[vc$grp == "partnership_id:region"],
      residual = vc$vcov[vc$grp == "Residual"]
    ),
    loglik = as.numeric(logLik(m)),
    deviance_or_reml_criterion = as.numeric(if (reml) REMLcrit(m) else deviance(m)),
    singular = isSingular(m),
    n_obs = nobs(m),
    n_groups = as.list(ngrps(m))
  )
}

out <- list(
  software = list(R = R.version.string, lme4 = as.character(packageVersion("lme4"))),
  formula = "y ~ x1 + x2 + wave + (1 | region/partnership_id), wave a factor",
  fits = list()
)
for (name in c("main", "boundary")) {
  df <- read.csv(file.path("tests", "data", paste0("nested_lmm_lme4_", name, ".csv")))
  out$fits[[name]] <- list(REML = fit_one(df, TRUE), ML = fit_one(df, FALSE))
}
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path("tests", "data", "nested_lmm_lme4_results.json"))
