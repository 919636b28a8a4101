# H7 on the age scale in R: survival::coxph on (start, stop] rows, Efron ties as in lifelines, and
# survfit on the same rows (Kaplan-Meier with delayed entry; by funding state = Simon-Makuch).
#   Rscript docs/validation/survival_age_validate.R    (r-base-core, r-cran-survival, r-cran-jsonlite)
suppressPackageStartupMessages({library(survival); library(jsonlite)})
here <- "docs/validation"
cox_rows <- function(fit, model, data, ties) {
  s <- summary(fit)$coefficients
  data.frame(data = data, model = model, ties = ties, term = rownames(s), estimate = s[, "coef"],
             std_error = s[, "se(coef)"], row.names = NULL)
}
km_rows <- function(fit, stratum, data) {
  s <- summary(fit, censored = TRUE)
  data.frame(data = data, stratum = stratum, t = s$time, estimate = s$surv, ci_low = s$lower,
             ci_high = s$upper, n_at_risk = s$n.risk, row.names = NULL)
}
cox <- list(); km <- list()
for (name in c("sim", "sim_equal_funding", "example")) {
  path <- file.path(here, sprintf("survival_age_rows_%s.csv", name))
  if (!file.exists(path)) next
  rows <- read.csv(path)
  rows$surveyed <- rows$surveyed %in% c("True", "TRUE", TRUE)
  surveyed <- rows[rows$surveyed, ]
  fits <- list(
    cox_registry = function(ties) coxph(Surv(start, stop, event) ~ funding_ended, data = rows, ties = ties),
    cox_age = function(ties) coxph(Surv(start, stop, event) ~ conditions + funding_ended, data = surveyed, ties = ties),
    cox_age_interaction = function(ties) coxph(Surv(start, stop, event) ~ conditions * funding_ended,
                                               data = surveyed, ties = ties))
  for (model in names(fits)) for (ties in c("efron", "breslow")) {
    fit <- tryCatch(suppressWarnings(fits[[model]](ties)), error = function(e) NULL)
    if (!is.null(fit)) cox[[length(cox) + 1]] <- cox_rows(fit, model, name, ties)
  }
  km[[length(km) + 1]] <- km_rows(survfit(Surv(start, stop, event) ~ 1, data = rows, conf.type = "log-log"),
                                  "all", name)
  for (state in c(0, 1)) {
    sub <- rows[rows$funding_ended == state, ]
    km[[length(km) + 1]] <- km_rows(survfit(Surv(start, stop, event) ~ 1, data = sub, conf.type = "log-log"),
                                    sprintf("funding_ended=%s", c("no", "yes")[state + 1]), name)
  }
}
out <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
            cox = do.call(rbind, cox), km = do.call(rbind, km))
write_json(out, file.path(here, "survival_age_r.json"), digits = NA, pretty = TRUE, na = "null")
print(out$cox)
