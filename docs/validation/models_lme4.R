# Reference fits for docs/validation-models-generated.md: the main mixed model in lme4 (REML) and
# the ordinal sensitivity models (one per durability item) in MASS::polr with partnership-clustered
# (sandwich) standard errors (HC1 + G/(G-1): the small-sample corrections statsmodels applies with
# cov_type="cluster").
# Usage: Rscript models_lme4.R <rows.csv> <out.csv>
# <rows.csv>: rows with REL, FAC, PRO, ORG, wave, region, partnership_id; DUR and the items
# dur_continue, dur_embedded, dur_commitment may be missing (lmer uses the rows with DUR, each polr
# the rows with its item).
# polr is fitted twice: with a tight tolerance (optim reltol 1e-15; the reference) and with its
# default (reltol ~1.5e-8, model "polr_default:ordinal_<item>"), which stops short of the maximum.
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

all_rows <- d
d <- d[!is.na(d$DUR), ]
fit_lmer("conditions_mixed", d)
z <- d
for (v in c("DUR", "REL", "FAC", "PRO", "ORG")) z[[v]] <- (z[[v]] - mean(z[[v]])) / sd(z[[v]])
fit_lmer("conditions_mixed_std", z)

add_polr <- function(name, p, o) {
  v <- vcovCL(p, cluster = ~partnership_id, type = "HC1", cadjust = TRUE)
  est <- c(coef(p), p$zeta)
  se <- sqrt(diag(v))[names(est)]
  terms <- sub("^wave", "C(wave)[T.", names(est))
  terms <- ifelse(grepl("^C\\(wave\\)", terms), paste0(terms, "]"), terms)
  terms <- ifelse(grepl("\\|", terms), paste0("cut_", terms), terms)
  for (i in seq_along(est)) add(name, terms[i], est[[i]], se[[i]])
  add(name, "loglik", as.numeric(logLik(p)))
}

for (item in c("dur_continue", "dur_embedded", "dur_commitment")) {
  if (!(item %in% names(all_rows)) || all(is.na(all_rows[[item]]))) next
  o <- all_rows[!is.na(all_rows[[item]]), ]
  o$y <- factor(o[[item]], ordered = TRUE)
  f <- y ~ REL + FAC + PRO + ORG + wave
  tight <- polr(f, data = o, method = "logistic", Hess = TRUE, control = list(reltol = 1e-15, maxit = 10000))
  add_polr(paste0("ordinal_", item), tight, o)
  add_polr(paste0("polr_default:ordinal_", item), polr(f, data = o, method = "logistic", Hess = TRUE), o)
}

out <- do.call(rbind, rows)
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("lme4 %s, MASS %s, sandwich %s, %s\n", packageVersion("lme4"), packageVersion("MASS"),
            packageVersion("sandwich"), R.version.string), file = stderr())
