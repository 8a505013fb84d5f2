"""Study: three recipes trained side by side on DHSD on two CPU cores (accuracy and speed)."""
