# lme4 reference for the multilevel H5 mediation (docs/validation-mediation-survival.md).
#   Rscript docs/validation/mediation_multilevel.R [n_draws]     (from the repository root)
# Reads results/validation/mediation_{simulated,example}.csv, decomposes FAC, REL, PRO and ORG into
# partnership means and deviations itself, fits both paths by REML with partnership and
# partnership-within-wave random intercepts (region fixed below ten regions; lmerTest for the
# paths' Satterthwaite df, t p-values and t intervals) and draws the Monte Carlo interval of the
# indirect effects as Python does: each path a scaled t on its Satterthwaite df, correlated within a
# model through normal draws of its correlation matrix (MASS::mvrnorm, same number of draws).
# Writes results/validation/mediation_r.csv.
suppressPackageStartupMessages({ library(lme4); library(lmerTest); library(MASS) })
args <- commandArgs(trailingOnly = TRUE)
n_draws <- if (length(args)) as.integer(args[1]) else 20000L
dir <- "results/validation"

split_terms <- function(v) paste0(v, "_within + ", v, "_between")
fit_paths <- function(d) {
  for (v in c("FAC", "REL", "PRO", "ORG")) {
    d[[paste0(v, "_between")]] <- ave(d[[v]], d$partnership_id)
    d[[paste0(v, "_within")]] <- d[[v]] - d[[paste0(v, "_between")]]
  }
  d$wave <- factor(d$wave)
  d$region <- factor(d$region)
  d$pw <- interaction(d$partnership_id, d$wave, drop = TRUE)
  fixed_region <- nlevels(d$region) < 10
  rhs <- paste(split_terms("FAC"), split_terms("PRO"), split_terms("ORG"), "wave", sep = " + ")
  re <- "(1 | partnership_id) + (1 | pw)"
  if (fixed_region) rhs <- paste(rhs, "region", sep = " + ") else re <- "(1 | region) + (1 | partnership_id)"
  ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-12),
                      check.conv.singular = "ignore")
  fa <- lmerTest::lmer(as.formula(paste("REL ~", rhs, "+", re)), data = d, REML = TRUE, control = ctrl)
  fb <- lmerTest::lmer(as.formula(paste("DUR ~", split_terms("REL"), "+", rhs, "+", re)), data = d, REML = TRUE, control = ctrl)
  list(a = fa, b = fb)
}

rows <- list()
for (name in c("simulated", "example")) {
  path <- file.path(dir, paste0("mediation_", name, ".csv"))
  if (!file.exists(path)) next
  fits <- fit_paths(read.csv(path, stringsAsFactors = FALSE))
  terms <- list(a_within = c("a", "FAC_within"), a_between = c("a", "FAC_between"),
                b_within = c("b", "REL_within"), b_between = c("b", "REL_between"),
                direct_within = c("b", "FAC_within"), direct_between = c("b", "FAC_between"))
  set.seed(20250101)
  draws <- list()
  for (m in c("a", "b")) {
    nm <- unique(sapply(terms[sapply(terms, `[`, 1) == m], `[`, 2))
    V <- as.matrix(vcov(fits[[m]]))[nm, nm]
    se <- sqrt(diag(V))
    df <- summary(fits[[m]])$coefficients[nm, "df"]
    w <- mvrnorm(n_draws, rep(0, length(nm)), cov2cor(V))
    q <- sign(w) * qt(pnorm(-abs(w)), rep(df, each = n_draws), lower.tail = FALSE)
    draws[[m]] <- sweep(sweep(q, 2, se, `*`), 2, fixef(fits[[m]])[nm], `+`)
  }
  for (eff in names(terms)) {
    f <- fits[[terms[[eff]][1]]]; t <- terms[[eff]][2]
    co <- summary(f)$coefficients[t, ]
    half <- qt(0.975, co[["df"]]) * co[["Std. Error"]]
    rows[[length(rows) + 1]] <- data.frame(data = name, effect = eff, estimate = co[["Estimate"]],
      std_error = co[["Std. Error"]], ci_low = co[["Estimate"]] - half, ci_high = co[["Estimate"]] + half,
      df = co[["df"]], p_value = co[["Pr(>|t|)"]])
  }
  for (lv in c("within", "between")) {
    x <- paste0("FAC_", lv); mm <- paste0("REL_", lv)
    ind <- draws$a[, x] * draws$b[, mm]
    est <- unname(fixef(fits$a)[x] * fixef(fits$b)[mm])
    rows[[length(rows) + 1]] <- data.frame(data = name, effect = paste0("indirect_", lv), estimate = est,
      std_error = sd(ind), ci_low = unname(quantile(ind, .025)), ci_high = unname(quantile(ind, .975)),
      df = NA, p_value = NA)
  }
  for (m in c("a", "b")) {
    vc <- as.data.frame(VarCorr(fits[[m]]))
    for (i in seq_len(nrow(vc))) rows[[length(rows) + 1]] <- data.frame(data = name,
      effect = paste0("sigma2_", m, "_", vc$grp[i]), estimate = vc$vcov[i], std_error = NA, ci_low = NA, ci_high = NA,
      df = NA, p_value = NA)
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "mediation_r.csv"), row.names = FALSE)
cat(R.version.string, "lme4", as.character(packageVersion("lme4")), "lmerTest", as.character(packageVersion("lmerTest")), "\n")
print(out, digits = 8)
