"""rfm_excel in xlwings Lite: the Score customers script and the =RFM_* worksheet functions.

The code lives in the rfm_excel package (rfm_excel/doors/lite.py), installed from requirements.txt.
Run "Score customers" from the xlwings Lite task pane; type =RFM_SCORE(A2, Orders!A1:F5000) in a cell.
"""

from rfm_excel.doors.lite import (  # noqa: F401  (xlwings Lite finds the scripts and functions in main.py)
    RFM_FREQUENCY,
    RFM_MONETARY,
    RFM_NEXT_PRODUCT,
    RFM_P_ACTIVE,
    RFM_PREDICTED_VALUE,
    RFM_RECENCY,
    RFM_SCORE,
    RFM_SEGMENT,
    RFM_SEGMENTS,
    RFM_TABLE,
    score_customers,
)
