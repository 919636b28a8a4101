# Reference values for the measurement tables, computed with R psych, lavaan and lme4.
# Rerun from the repository root:  Rscript docs/validation/measurement_validate.R
# (Debian: r-base-core r-cran-psych r-cran-lavaan r-cran-lme4). Writes
# docs/validation/measurement_r_reliability.csv, measurement_r_cfa_fit.csv,
# measurement_r_cfa_loadings.csv, measurement_r_icc.csv and prints the versions.
suppressPackageStartupMessages({
  library(psych)
  library(lavaan)
  library(lme4)
})
args <- commandArgs(trailingOnly = TRUE)
input <- if (length(args) >= 1) args[1] else "tests/data/measurement_sample.csv"
outdir <- if (length(args) >= 2) args[2] else "docs/validation"

d <- read.csv(input, stringsAsFactors = FALSE, encoding = "UTF-8")
scales <- list(
  REL = c("rel_know", "rel_trust", "rel_goodwill", "rel_levels", "rel_reciprocity", "rel_distant"),
  FAC = c("fac_time", "fac_resources", "fac_devroom", "fac_meeting"),
  PRO = c("pro_celebrate", "pro_failure", "pro_impact", "pro_shared"),
  ORG = c("org_strategy", "org_culture", "org_structure"),
  DUR = c("dur_continue", "dur_embedded", "dur_commitment")
)
d$rel_distant <- 6 - d$rel_distant  # the one reverse-keyed item, reversed once

one_factor_omega <- function(x) {
  # McDonald's omega total (sum lambda)^2 / ((sum lambda)^2 + sum theta), lavaan one-factor ML
  m <- paste("f =~", paste(colnames(x), collapse = " + "))
  fit <- cfa(m, data = x, std.lv = TRUE, estimator = "ML")
  pe <- parameterEstimates(fit)
  lam <- pe$est[pe$op == "=~"]
  theta <- pe$est[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs != "f"]
  sum(lam)^2 / (sum(lam)^2 + sum(theta))
}

rows <- list()
for (s in names(scales)) {
  for (w in c(sort(unique(d$wave)), "all")) {
    sub <- if (w == "all") d else d[d$wave == as.integer(w), ]
    x <- na.omit(sub[, scales[[s]]])  # listwise within the scale
    a <- psych::alpha(x, warnings = FALSE)
    ci <- psych::alpha.ci(a$total$raw_alpha, nrow(x), ncol(x))
    om_psych <- suppressWarnings(suppressMessages(
      psych::omega(x, nfactors = 1, fm = "ml", plot = FALSE, covar = TRUE)))$omega.tot
    rows[[length(rows) + 1]] <- data.frame(
      scale = s, wave = w, n = nrow(x), n_items = ncol(x),
      alpha = a$total$raw_alpha, alpha_ci_low = ci$lower.ci, alpha_ci_high = ci$upper.ci,
      omega_lavaan = one_factor_omega(x), omega_psych_ml_covar = om_psych
    )
  }
}
rel <- do.call(rbind, rows)
write.csv(rel, file.path(outdir, "measurement_r_reliability.csv"), row.names = FALSE)

model <- paste(sapply(names(scales), function(s) paste(s, "=~", paste(scales[[s]], collapse = " + "))),
               collapse = "\n")
all_items <- unlist(scales)
cc <- na.omit(d[, all_items])
fit <- cfa(model, data = cc, estimator = "ML")
fm <- fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                         "rmsea.ci.upper", "srmr"))
write.csv(data.frame(model = "five_factor", n = nobs(fit), as.list(unclass(fm))),
          file.path(outdir, "measurement_r_cfa_fit.csv"), row.names = FALSE)
ss <- standardizedSolution(fit)
ss <- ss[ss$op == "=~", c("lhs", "rhs", "est.std")]
pe <- parameterEstimates(fit)
pe <- pe[pe$op == "=~", c("lhs", "rhs", "est")]
load <- merge(pe, ss, by = c("lhs", "rhs"), sort = FALSE)
names(load) <- c("factor", "item", "estimate", "std_loading")
write.csv(load, file.path(outdir, "measurement_r_cfa_loadings.csv"), row.names = FALSE)

icc_rows <- list()
for (s in names(scales)) {
  x <- sub <- d[, scales[[s]]]
  k <- ncol(x)
  answered <- rowSums(!is.na(x))
  score <- ifelse(answered >= ceiling(k * 2 / 3 - 1e-9), rowMeans(x, na.rm = TRUE), NA)
  dd <- data.frame(y = score, region = d$region, partnership = paste(d$region, d$partnership_id, sep = "/"))
  dd <- na.omit(dd)
  m <- lmer(y ~ 1 + (1 | region) + (1 | partnership), data = dd, REML = TRUE)
  vc <- as.data.frame(VarCorr(m))
  v <- setNames(vc$vcov, vc$grp)
  total <- sum(v)
  icc_rows[[length(icc_rows) + 1]] <- data.frame(
    scale = s, n = nrow(dd), var_region = v[["region"]], var_partnership = v[["partnership"]],
    var_residual = v[["Residual"]], icc_region = v[["region"]] / total,
    icc_partnership = v[["partnership"]] / total
  )
}
write.csv(do.call(rbind, icc_rows), file.path(outdir, "measurement_r_icc.csv"), row.names = FALSE)

cat(R.version.string, "\n")
cat("psych", as.character(packageVersion("psych")), "lavaan", as.character(packageVersion("lavaan")),
    "lme4", as.character(packageVersion("lme4")), "\n")
print(rel, digits = 6)
print(fm, digits = 6)
