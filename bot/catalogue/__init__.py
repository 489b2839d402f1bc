"""The subsidy catalogue (职业技能培训补贴目录清单): operator data, imported as dated versions."""
