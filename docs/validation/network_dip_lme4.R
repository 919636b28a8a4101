# lme4 / lmerTest reference for H6 (the network dip): the ML fits, the LR test, the dip and recovery
# contrasts (manual L b, vcov) with z and Satterthwaite intervals, and a parametric bootstrap of
# the LR statistic (simulate() from the linear model, both refitted), the pbkrtest recipe.
# Rerun from the repository root (Debian: r-base-core r-cran-lme4 r-cran-lmertest r-cran-jsonlite):
#   Rscript docs/validation/network_dip_lme4.R FRAME.csv PYTHON.json OUT.json [B]
# FRAME.csv and PYTHON.json come from docs/validation/network_dip_make_data.py.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
py <- fromJSON(args[2])
B <- if (length(args) >= 4) as.integer(args[4]) else 999
d$wave <- factor(d$wave)
d$pid <- paste(d$region, d$partnership_id, sep = "/")
rhs <- "REL + FAC + PRO + ORG + wave + (1 | region) + (1 | pid)"
f_lin <- as.formula(paste("DUR ~ age_linear +", rhs))
f_spl <- as.formula(paste("DUR ~ age_linear + age_nonlinear_1 + age_nonlinear_2 +", rhs))
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
m_lin <- lme4::lmer(f_lin, data = d, REML = FALSE, control = ctrl)
m_spl <- lmerTest::lmer(f_spl, data = d, REML = FALSE, control = ctrl)
lr <- as.numeric(2 * (logLik(m_spl) - logLik(lme4::lmer(f_lin, data = d, REML = FALSE, control = ctrl))))

spline_cols <- c("age_linear", "age_nonlinear_1", "age_nonlinear_2")
basis_at <- function(age) unlist(d[d$partnership_age == age, spline_cols][1, ])
b <- fixef(m_spl)
V <- as.matrix(vcov(m_spl))
contrasts <- lapply(seq_len(nrow(py$contrasts)), function(i) {
  r <- py$contrasts[i, ]
  L <- setNames(rep(0, length(b)), names(b))
  L[spline_cols] <- basis_at(r$age_to) - basis_at(r$age_from)
  est <- sum(L * b)
  se <- sqrt(as.numeric(t(L) %*% V %*% L))
  sat <- lmerTest::contestMD(m_spl, matrix(L, nrow = 1), ddf = "Satterthwaite")
  tcrit <- qt(0.975, sat$DenDF)
  list(contrast = r$contrast, age_from = r$age_from, age_to = r$age_to, estimate = est, std_error = se,
       ci_low = est - qnorm(0.975) * se, ci_high = est + qnorm(0.975) * se, p_value = 2 * pnorm(-abs(est / se)),
       satterthwaite_df = sat$DenDF, satterthwaite_p = sat[["Pr(>F)"]],
       satterthwaite_ci_low = est - tcrit * se, satterthwaite_ci_high = est + tcrit * se)
})

set.seed(20250101)
sims <- simulate(m_lin, nsim = B)
boot <- vapply(sims, function(y) {
  d$y <- y
  a <- lme4::lmer(update(f_lin, y ~ .), data = d, REML = FALSE, control = ctrl)
  s <- lme4::lmer(update(f_spl, y ~ .), data = d, REML = FALSE, control = ctrl)
  max(0, as.numeric(2 * (logLik(s) - logLik(a))))
}, numeric(1))

vc <- as.data.frame(VarCorr(m_spl))
out <- list(
  R = R.version.string, lme4 = as.character(packageVersion("lme4")),
  lmerTest = as.character(packageVersion("lmerTest")),
  n_obs = nobs(m_spl),
  loglik = list(linear = as.numeric(logLik(m_lin)), spline = as.numeric(logLik(m_spl))),
  lrt = list(chi2 = lr, df = 2, p_value = pchisq(lr, 2, lower.tail = FALSE)),
  spline_fixef = as.list(b[spline_cols]),
  variances = setNames(as.list(vc$vcov), vc$grp),
  contrasts = contrasts,
  bootstrap = list(n_boot = B, p_value = (1 + sum(boot >= lr)) / (B + 1), null_q95 = unname(quantile(boot, 0.95)),
                   null_mean = mean(boot))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), args[3])
cat("wrote", args[3], "\n")
