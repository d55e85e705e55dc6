Attribute VB_Name = "RfmExcel"
' The Score customers button on the Start Here sheet runs ScoreCustomers. It calls Python through
' xlwings' RunPython (the xlwings module in this workbook): rfm_excel.macros reads Orders and
' Settings, scores the customers and writes the output sheets. Setup: docs/excel.md.
Option Explicit

Sub ScoreCustomers()
    RunPython "import rfm_excel.macros; rfm_excel.macros.score_customers()"
End Sub
