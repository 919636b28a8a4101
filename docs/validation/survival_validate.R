# Cross-check of the H7 hazard models on the same partnership-years (Debian r-base-core,
# r-cran-survival, r-cran-brglm2).   Rscript docs/validation/survival_validate.R
suppressPackageStartupMessages({library(survival); library(brglm2)})
here <- "docs/validation"
out <- list()
for (name in c("large", "sparse")) {
  py <- read.csv(file.path(here, sprintf("survival_py_%s.csv", name)))
  ml <- glm(event ~ conditions + funding_ended, family = binomial, data = py)
  firth <- glm(event ~ conditions + funding_ended, family = binomial, data = py,
               method = "brglmFit", type = "AS_mean")
  firth_i <- glm(event ~ conditions * funding_ended, family = binomial, data = py,
                 method = "brglmFit", type = "AS_mean")
  py$start <- py$t - 1
  cox <- coxph(Surv(start, t, event) ~ conditions + funding_ended, data = py, ties = "efron")
  cll <- glm(event ~ conditions + funding_ended + factor(t), family = binomial(link = "cloglog"), data = py)
  logit_t <- glm(event ~ conditions + funding_ended + factor(t), family = binomial, data = py)
  add <- function(model, fit, terms) {
    s <- summary(fit)$coefficients
    se <- if ("se(coef)" %in% colnames(s)) s[terms, "se(coef)"] else s[terms, 2]
    data.frame(data = name, model = model, term = terms, estimate = s[terms, 1], std_error = se)
  }
  out[[length(out) + 1]] <- add("r_glm_ml", ml, c("(Intercept)", "conditions", "funding_ended"))
  out[[length(out) + 1]] <- add("r_brglm2_firth", firth, c("(Intercept)", "conditions", "funding_ended"))
  out[[length(out) + 1]] <- add("r_brglm2_firth_interaction", firth_i,
                                c("(Intercept)", "conditions", "funding_ended", "conditions:funding_ended"))
  out[[length(out) + 1]] <- add("r_coxph_efron", cox, c("conditions", "funding_ended"))
  out[[length(out) + 1]] <- add("r_cloglog_year", cll, c("conditions", "funding_ended"))
  out[[length(out) + 1]] <- add("r_logit_year", logit_t, c("conditions", "funding_ended"))
}
res <- do.call(rbind, out)
res$term[res$term == "(Intercept)"] <- "intercept"
write.csv(res, file.path(here, "survival_r.csv"), row.names = FALSE)
cat(R.version.string, "survival", format(packageVersion("survival")), "brglm2", format(packageVersion("brglm2")), "\n")
print(res, digits = 7, row.names = FALSE)
