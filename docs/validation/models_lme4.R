# Reference fits for docs/validation-models.md: the main mixed model in lme4 (REML) and the
# ordinal sensitivity model in MASS::polr with partnership-clustered (sandwich) standard errors
# (HC1 + G/(G-1): the small-sample corrections statsmodels applies with cov_type="cluster").
# Usage: Rscript models_lme4.R <rows.csv> <out.csv>
# <rows.csv>: the analysed rows (DUR, REL, FAC, PRO, ORG, wave, region, partnership_id, dur_continue).
suppressPackageStartupMessages({
  library(lme4)
  library(MASS)
  library(sandwich)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d$wave <- factor(d$wave)
d$partnership <- interaction(d$region, d$partnership_id, drop = TRUE)

rows <- list()
add <- function(model, term, estimate, std_error = NA) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, term = term, estimate = estimate, std_error = std_error)
}

fit_lmer <- function(name, data) {
  m <- lmer(DUR ~ REL + FAC + PRO + ORG + wave + (1 | region) + (1 | partnership), data = data, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
  fe <- fixef(m)
  se <- sqrt(diag(as.matrix(vcov(m))))
  terms <- sub("^wave", "C(wave)[T.", names(fe))
  terms <- ifelse(grepl("^C\\(wave\\)", terms), paste0(terms, "]"), terms)
  terms[terms == "(Intercept)"] <- "Intercept"
  for (i in seq_along(fe)) add(name, terms[i], fe[[i]], se[[i]])
  vc <- as.data.frame(VarCorr(m))
  add(name, "var_region", vc$vcov[vc$grp == "region"])
  add(name, "var_partnership", vc$vcov[vc$grp == "partnership"])
  add(name, "var_residual", vc$vcov[vc$grp == "Residual"])
  add(name, "loglik", as.numeric(logLik(m)))
  add(name, "singular", as.numeric(isSingular(m)))
}

fit_lmer("conditions_mixed", d)
z <- d
for (v in c("DUR", "REL", "FAC", "PRO", "ORG")) z[[v]] <- (z[[v]] - mean(z[[v]])) / sd(z[[v]])
fit_lmer("conditions_mixed_std", z)

if ("dur_continue" %in% names(d)) {
  o <- d[!is.na(d$dur_continue), ]
  o$y <- factor(o$dur_continue, ordered = TRUE)
  p <- polr(y ~ REL + FAC + PRO + ORG + wave, data = o, method = "logistic", Hess = TRUE)
  v <- vcovCL(p, cluster = ~partnership_id, type = "HC1", cadjust = TRUE)
  est <- c(coef(p), p$zeta)
  se <- sqrt(diag(v))[names(est)]
  terms <- sub("^wave", "C(wave)[T.", names(est))
  terms <- ifelse(grepl("^C\\(wave\\)", terms), paste0(terms, "]"), terms)
  terms <- ifelse(grepl("\\|", terms), paste0("cut_", terms), terms)
  for (i in seq_along(est)) add("ordinal_dur_continue", terms[i], est[[i]], se[[i]])
}

out <- do.call(rbind, rows)
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("lme4 %s, MASS %s, sandwich %s, %s\n", packageVersion("lme4"), packageVersion("MASS"),
            packageVersion("sandwich"), R.version.string), file = stderr())
