"""ETL Fabric: a self-hosted, multi-tenant data and automation platform."""

__version__ = "0.1.0"
